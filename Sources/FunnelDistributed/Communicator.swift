/// The ranks of one distributed run and the collectives between them, over MPI (Open MPI from
/// Debian's packages, loaded at run time: ``MessagePassingLibrary``). Every collective is called
/// by every rank in the same order, as MPI requires.
///
/// Reductions are made here, not by MPI: ``sumInRankOrder(_:)`` gathers every rank's values and
/// adds them in rank order, so every rank gets the same bits whatever algorithm MPI picks for
/// its own reductions, and a run's bits do not depend on the network.
public final class Communicator: @unchecked Sendable {
    /// This process's rank, `0 ..< size`.
    public let rank: Int
    /// How many ranks the run has.
    public let size: Int
    private let library: MessagePassingLibrary

    /// The world of this process when a launcher started it as one rank of several (MPI loaded
    /// and initialised); `nil` for a process started alone. A launched process without a
    /// loadable MPI is an error naming the package to install.
    public static func world(
        environment: [String: String], libraryNames: [String]? = nil
    ) throws -> Communicator? {
        guard let launch = try LaunchEnvironment.detect(environment) else { return nil }
        let library = try MessagePassingLibrary(names: libraryNames ?? MessagePassingLibrary.defaultNames)
        try library.start()
        let (rank, size) = (try library.rank(), try library.size())
        guard rank == launch.rank, size == launch.size else {
            throw DistributedError(
                "MPI reports rank \(rank) of \(size) but the launcher set rank \(launch.rank) of \(launch.size) (\(launch.source))")
        }
        return Communicator(rank: rank, size: size, library: library)
    }

    private init(rank: Int, size: Int, library: MessagePassingLibrary) {
        self.rank = rank
        self.size = size
        self.library = library
    }

    /// Whether this rank writes progress, logs and reports (rank 0).
    public var isLead: Bool { rank == 0 }

    /// Waits until every rank has called it.
    public func barrier() throws {
        try library.barrier()
    }

    /// Every rank's values, in rank order; the ranks may send different counts.
    public func allGather<Element: BitwiseCopyable>(_ values: [Element]) throws -> [[Element]] {
        let width = MemoryLayout<Element>.stride
        var counts = [Int32](repeating: 0, count: size)
        let ownCount = try Self.byteCount(values.count * width)
        try counts.withUnsafeMutableBytes { received in
            var own = ownCount
            try library.allGather(&own, count: Int32(MemoryLayout<Int32>.size), into: received.baseAddress)
        }
        let offsets = Self.offsets(counts)
        let total = counts.reduce(0) { $0 + Int($1) }
        _ = try Self.byteCount(total)
        var gathered = [UInt8](repeating: 0, count: total)
        try values.withUnsafeBytes { sent in
            try gathered.withUnsafeMutableBytes { received in
                try library.allGather(
                    sent.baseAddress, count: ownCount, into: received.baseAddress, counts: counts, offsets: offsets)
            }
        }
        return (0..<size).map { rank in
            Self.elements(gathered[Int(offsets[rank])..<Int(offsets[rank] + counts[rank])], of: Element.self)
        }
    }

    /// The element-wise sum of every rank's `values` (the same count on every rank), added in
    /// rank order: `((v₀ + v₁) + v₂) + …`, the same bits on every rank whatever algorithms MPI
    /// picks. Made as a reduce-scatter and an all-gather: rank r receives every rank's r-th slice
    /// (all-to-all), adds them in rank order, and the ranks gather the summed slices — each rank
    /// sends 2(N − 1)/N of its values, as a ring all-reduce does, instead of N − 1 times them.
    public func sumInRankOrder(_ values: [Float]) throws -> [Float] {
        let counts = try allGather([Int64(values.count)]).map { $0[0] }
        guard counts.allSatisfy({ $0 == Int64(values.count) }) else {
            throw DistributedError("sum of \(counts) values across the ranks: every rank must send as many")
        }
        let bounds = (0...size).map { values.count * $0 / size }
        let slices = try allToAll((0..<size).map { Array(values[bounds[$0]..<bounds[$0 + 1]]) })
        var own = slices[0]
        for slice in slices.dropFirst() {
            for index in own.indices { own[index] += slice[index] }
        }
        return try allGather(own).flatMap { $0 }
    }

    /// Bytes a rank sends in ``sumInRankOrder(_:)`` of `count` values: its slices to the others,
    /// then its summed slice to each of them (about 2(N − 1)/N × 4 × count).
    public func bytesSentSumming(_ count: Int) -> Int {
        let own = count * (rank + 1) / size - count * rank / size
        return 4 * ((count - own) + own * (size - 1))
    }

    /// `root`'s values on every rank (the others' arguments are ignored but for nothing).
    public func broadcast<Element: BitwiseCopyable>(_ values: [Element], from root: Int) throws -> [Element] {
        var count = [Int64(values.count)]
        try count.withUnsafeMutableBytes { buffer in
            try library.broadcast(buffer.baseAddress, count: Int32(buffer.count), root: Int32(root))
        }
        let bytes = try Self.byteCount(Int(count[0]) * MemoryLayout<Element>.stride)
        var buffer = [UInt8](repeating: 0, count: Int(bytes))
        if rank == root { buffer = values.withUnsafeBytes { Array($0) } }
        try buffer.withUnsafeMutableBytes { raw in
            try library.broadcast(raw.baseAddress, count: bytes, root: Int32(root))
        }
        return Self.elements(buffer[...], of: Element.self)
    }

    /// Personalised exchange: `parts[r]` goes to rank r; returns what every rank sent here, in
    /// rank order (the embedding shards' lookups and gradient rows travel this way).
    public func allToAll<Element: BitwiseCopyable>(_ parts: [[Element]]) throws -> [[Element]] {
        guard parts.count == size else {
            throw DistributedError("all-to-all of \(parts.count) parts among \(size) ranks: one part per rank")
        }
        let width = MemoryLayout<Element>.stride
        let sentCounts = try parts.map {  part in try Self.byteCount(part.count * width) }
        // Each rank learns how much every other sends it: the counts travel first.
        var receivedCounts = [Int32](repeating: 0, count: size)
        let countSize = Int32(MemoryLayout<Int32>.size)
        try sentCounts.withUnsafeBytes { sent in
            try receivedCounts.withUnsafeMutableBytes { received in
                let ones = [Int32](repeating: countSize, count: size)
                let offsets = (0..<size).map { Int32($0) * countSize }
                try library.allToAll(
                    sent.baseAddress, counts: ones, offsets: offsets, into: received.baseAddress, receivedCounts: ones,
                    receivedOffsets: offsets)
            }
        }
        let sentOffsets = Self.offsets(sentCounts), receivedOffsets = Self.offsets(receivedCounts)
        let flat = parts.flatMap { $0 }
        var received = [UInt8](repeating: 0, count: receivedCounts.reduce(0) { $0 + Int($1) })
        try flat.withUnsafeBytes { sent in
            try received.withUnsafeMutableBytes { target in
                try library.allToAll(
                    sent.baseAddress, counts: sentCounts, offsets: sentOffsets, into: target.baseAddress,
                    receivedCounts: receivedCounts, receivedOffsets: receivedOffsets)
            }
        }
        return (0..<size).map { rank in
            let start = Int(receivedOffsets[rank])
            return Self.elements(received[start..<start + Int(receivedCounts[rank])], of: Element.self)
        }
    }

    /// Ends MPI for this process (after the last collective).
    public func finish() {
        library.finish()
    }

    private static func byteCount(_ count: Int) throws -> Int32 {
        guard count <= Int(Int32.max) else {
            throw DistributedError("one message of \(count) bytes: MPI counts stop at \(Int32.max) bytes")
        }
        return Int32(count)
    }

    private static func offsets(_ counts: [Int32]) -> [Int32] {
        var offsets = [Int32](repeating: 0, count: counts.count)
        for index in counts.indices.dropFirst() { offsets[index] = offsets[index - 1] + counts[index - 1] }
        return offsets
    }

    private static func elements<Element: BitwiseCopyable>(_ bytes: ArraySlice<UInt8>, of type: Element.Type) -> [Element] {
        let count = bytes.count / MemoryLayout<Element>.stride
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialised in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialised = count
        }
    }
}
