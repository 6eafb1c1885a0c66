import FunnelNN

/// ReLoop2's settings: which error memory, its sizes and the compensation (Zhu et al., KDD
/// 2023, arXiv 2306.08808; adaptation.md §2.3, §2.5). Decoded with ``StrictJSON`` over
/// `ReLoopConfiguration()` so a file names only what it changes, then ``validate(_:)``.
public struct ReLoopConfiguration: Codable, Sendable, Equatable {
    /// The memory design (§2.3).
    public enum MemoryKind: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// ``SketchErrorMemory``: K LSH arrays of bucket sums (the proposed design).
        case sketch
        /// ``NearestNeighbourErrorMemory``: the stored samples, exact top-k (the baseline design).
        case nearest
    }

    /// The most sketch bits: `2^16` buckets per array (the paper's example, §2.5).
    public static let maximumBits = 16
    /// The largest nearest-neighbour capacity.
    public static let maximumCapacity = 10_000_000

    public var memory = MemoryKind.sketch
    /// Sketch: `K`, the independent arrays. [ASSUMED] 100 when not tuned (§2.5; the paper
    /// tuned 180 on AmazonElectronics, 70 on MicroVideo).
    public var arrays = 100
    /// Sketch: `L`, bits per bucket index (the paper's example 16: 65,536 buckets). The tables
    /// take `2^L · K · (d + 3) · 4` bytes: 1.76 GB at d = 64 with the defaults
    /// (``SketchErrorMemory/fullByteSize(dimensions:arrays:bits:)``).
    public var bits = 16
    /// Nearest: `k`, the neighbours read per query (§2.5 ties it to the sketch's K; [ASSUMED] 100).
    public var neighbours = 100
    /// Nearest: `σ`, only samples with `|y − y_base| > σ` are stored. [ASSUMED] 0.
    public var errorThreshold: Float = 0
    /// Nearest: the probability of keeping a sample over the threshold.
    public var keepProbability: Float = 1
    /// Nearest: the most samples held (FIFO).
    public var capacity = 100_000
    public var compensation = ErrorCompensation()
    /// The seed of the sketch's projections or the nearest memory's down-sampling.
    public var seed: UInt64 = 0

    public init() {}

    /// Fields left out keep their defaults (a training configuration's `replay.reLoop` names
    /// only what it changes).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        memory = try container.decodeIfPresent(MemoryKind.self, forKey: .memory) ?? memory
        arrays = try container.decodeIfPresent(Int.self, forKey: .arrays) ?? arrays
        bits = try container.decodeIfPresent(Int.self, forKey: .bits) ?? bits
        neighbours = try container.decodeIfPresent(Int.self, forKey: .neighbours) ?? neighbours
        errorThreshold = try container.decodeIfPresent(Float.self, forKey: .errorThreshold) ?? errorThreshold
        keepProbability = try container.decodeIfPresent(Float.self, forKey: .keepProbability) ?? keepProbability
        capacity = try container.decodeIfPresent(Int.self, forKey: .capacity) ?? capacity
        compensation = try container.decodeIfPresent(ErrorCompensation.self, forKey: .compensation) ?? compensation
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }

    public init(
        memory: MemoryKind = .sketch, arrays: Int = 100, bits: Int = 16, neighbours: Int = 100, errorThreshold: Float = 0,
        keepProbability: Float = 1, capacity: Int = 100_000, compensation: ErrorCompensation = ErrorCompensation(), seed: UInt64 = 0
    ) {
        self.memory = memory
        self.arrays = arrays
        self.bits = bits
        self.neighbours = neighbours
        self.errorThreshold = errorThreshold
        self.keepProbability = keepProbability
        self.capacity = capacity
        self.compensation = compensation
        self.seed = seed
    }

    /// Refuses a value out of range, naming its field under `check`'s root
    /// (`modelConfiguration.reLoop.bits` by default). Every field is checked, whichever the memory.
    public func validate(_ check: ModelConfigurationCheck = ModelConfigurationCheck().nested("reLoop")) throws {
        try check.positive(arrays, "arrays", maximum: ModelConfigurationCheck.maximumCount, what: "a number of sketch arrays")
        try check.positive(bits, "bits", maximum: Self.maximumBits, what: "a number of bucket bits")
        try check.positive(neighbours, "neighbours", maximum: ModelConfigurationCheck.maximumCount, what: "a number of neighbours")
        guard errorThreshold >= 0, errorThreshold < 1 else {
            throw check.refusal("errorThreshold", "\(errorThreshold); expected an error threshold in [0, 1)")
        }
        guard keepProbability > 0, keepProbability <= 1 else {
            throw check.refusal("keepProbability", "\(keepProbability); expected a probability in (0, 1]")
        }
        try check.positive(capacity, "capacity", maximum: Self.maximumCapacity, what: "a number of samples")
        try compensation.validate(check.nested("compensation"))
    }

    /// An empty memory of the configured kind for keys of width `dimensions`.
    public func makeMemory(dimensions: Int) -> any ErrorMemory {
        switch memory {
        case .sketch:
            SketchErrorMemory(dimensions: dimensions, arrays: arrays, bits: bits, seed: seed)
        case .nearest:
            NearestNeighbourErrorMemory(
                dimensions: dimensions, neighbours: neighbours, errorThreshold: errorThreshold,
                keepProbability: keepProbability, capacity: capacity, seed: seed)
        }
    }

    /// The bytes the configured memory holds when full at key width `dimensions`.
    public func fullByteSize(dimensions: Int) -> Int {
        switch memory {
        case .sketch: SketchErrorMemory.fullByteSize(dimensions: dimensions, arrays: arrays, bits: bits)
        case .nearest: NearestNeighbourErrorMemory.fullByteSize(dimensions: dimensions, capacity: capacity)
        }
    }
}
