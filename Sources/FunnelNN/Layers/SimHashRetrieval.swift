import FunnelTensor

/// ETA's end-to-end behaviour retrieval (Chen et al., "End-to-End User Behavior Retrieval in
/// CTR Prediction Model", arXiv 2108.04468; reference code `reczoo/FuxiCTR`,
/// `model_zoo/ETA/src/ETA.py`; entire-space.md §9.1 steps 1–6): SimHash signatures of the
/// target and of every behaviour, Hamming distances between them, and the `k` nearest
/// behaviours gathered for target attention.
///
/// Shapes: target `[n, d]`, behaviours `[n, L, d]` (oldest first: a later position is a more
/// recent behaviour), valid `[n, L]` (1 valid, 0 padding) → embeddings `[n, k', d]` and
/// valid `[n, k']`, with `k' = min(k, L)`.
///
/// Signatures are recomputed from the current embeddings on every call (never cached: stale
/// signatures would break "end-to-end") and without gradients; the selection is a constant,
/// and gradients reach exactly the selected behaviour rows through the gather.
public final class SimHashRetrieval: Module {
    /// How equal distances are ordered.
    public enum TieBreaking: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// The later position (the more recent behaviour) first — the spec's choice [A].
        case mostRecentFirst
        /// The earlier position first.
        case oldestFirst
    }

    /// What `callAsFunction` returns.
    public struct Retrieved {
        /// `[n, k', d]`: the selected behaviour embeddings, nearest first, with gradient.
        public let embeddings: Tensor
        /// `[n, k']`: 1 where the selected slot is a valid behaviour, 0 where it is padding.
        public let valid: Tensor
        /// `[n·k']`, row-major: the selected positions in the behaviour sequence.
        public let selected: [Int32]
        /// `k'`, the positions kept per row.
        public let kept: Int

        /// `[n][k']`: the selected positions in the behaviour sequence.
        public var positions: [[Int]] {
            stride(from: 0, to: selected.count, by: Swift.max(kept, 1)).map { start in
                selected[start..<(start + kept)].map(Int.init)
            }
        }
    }

    /// `R`, `[d, m]`: the fixed random projection, a constant buffer (it never requires a
    /// gradient, so it is not among ``parameters()``).
    public let projection: Tensor
    /// `k`: how many behaviours are kept per row.
    public let retrievedCount: Int
    public let tieBreaking: TieBreaking
    /// The distance given to padded positions; `m + 1` by default, so padding ranks after every
    /// valid behaviour (FuxiCTR uses the worst valid value instead, which can tie).
    public let paddingDistance: Int

    /// Draws `R` with i.i.d. N(0, 1) entries from `generator`.
    /// - Parameters:
    ///   - dimensions: `d`, the width of the embeddings.
    ///   - bits: `m`, the signature length (32 by default, FuxiCTR's class default).
    ///   - retrievedCount: `k` (50 by default, FuxiCTR's class default).
    ///   - tieBreaking: the order of equal distances (most recent first by default).
    ///   - paddingDistance: the distance of padded positions (`nil`: `m + 1`).
    public convenience init(
        dimensions: Int, bits: Int = 32, retrievedCount: Int = 50,
        tieBreaking: TieBreaking = .mostRecentFirst, paddingDistance: Int? = nil,
        generator: inout RandomGenerator
    ) {
        self.init(
            projection: Tensor.randomNormal([dimensions, bits], using: &generator),
            retrievedCount: retrievedCount, tieBreaking: tieBreaking, paddingDistance: paddingDistance)
    }

    /// Uses the given `[d, m]` projection (a copy, never trained).
    public init(
        projection: Tensor, retrievedCount: Int = 50, tieBreaking: TieBreaking = .mostRecentFirst,
        paddingDistance: Int? = nil
    ) {
        precondition(projection.rank == 2 && projection.shape[1] > 0, "Funnel: SimHash projection of shape \(projection.shape)")
        precondition(retrievedCount > 0, "Funnel: SimHash retrieval of \(retrievedCount) behaviours")
        self.projection = Tensor(shape: projection.shape, scalars: projection.scalars)
        self.retrievedCount = retrievedCount
        self.tieBreaking = tieBreaking
        self.paddingDistance = paddingDistance ?? projection.shape[1] + 1
        precondition(self.paddingDistance >= 0, "Funnel: negative SimHash padding distance")
        super.init()
    }

    /// `d`.
    public var dimensions: Int { projection.shape[0] }
    /// `m`.
    public var bits: Int { projection.shape[1] }

    /// The signature bits of each row of `vectors` (`[..., d]`): bit j is 1 where `(xR)_j > 0`
    /// and 0 otherwise (0 on exact zero). Packed 64 bits a word, bit j in word j / 64 at
    /// position j % 64; one `[UInt64]` per row.
    public func signatures(_ vectors: Tensor) -> [[UInt64]] {
        let (words, perRow) = packedSignatures(vectors)
        return stride(from: 0, to: words.count, by: perRow).map { Array(words[$0..<($0 + perRow)]) }
    }

    /// ``signatures(_:)`` in one flat array, `wordsPerRow` words a row (no array per row: a
    /// batch has tens of thousands of behaviours).
    func packedSignatures(_ vectors: Tensor) -> (words: [UInt64], wordsPerRow: Int) {
        precondition(vectors.shape.last == dimensions, "Funnel: SimHash of vectors of shape \(vectors.shape), d = \(dimensions)")
        let projected = withoutGradients {
            Tensor.matmul(vectors.detached().reshaped([-1, dimensions]), projection)
        }
        return projected.positiveSignBits()
    }

    /// The signature of each row of `vectors` as 0/1 values, bit 0 first (readable form of
    /// ``signatures(_:)``).
    public func signatureBits(_ vectors: Tensor) -> [[Int]] {
        signatures(vectors).map { words in
            (0..<bits).map { Int((words[$0 / 64] >> UInt64($0 % 64)) & 1) }
        }
    }

    /// `[n][L]`: the Hamming distance between each row's target signature and each behaviour's,
    /// ``paddingDistance`` at padded positions.
    public func distances(target: Tensor, behaviours: Tensor, valid: Tensor) -> [[Int]] {
        let (_, length) = checkShapes(target: target, behaviours: behaviours, valid: valid)
        let flat = flatDistances(target: target, behaviours: behaviours, valid: valid)
        return stride(from: 0, to: flat.count, by: Swift.max(length, 1)).map { flat[$0..<($0 + length)].map(Int.init) }
    }

    /// ``distances(target:behaviours:valid:)`` row-major in one array `[n·L]`.
    func flatDistances(target: Tensor, behaviours: Tensor, valid: Tensor) -> [Int32] {
        let (rows, length) = checkShapes(target: target, behaviours: behaviours, valid: valid)
        let (targets, perRow) = packedSignatures(target)
        let (sequence, _) = packedSignatures(behaviours)
        return flatDistances(targets: targets, sequence: sequence, wordsPerRow: perRow, valid: valid, rows: rows, length: length)
    }

    /// The distances between packed signatures: `targets` `[n × wordsPerRow]`, `sequence`
    /// `[n·L × wordsPerRow]` → `[n·L]`.
    private func flatDistances(
        targets: [UInt64], sequence: [UInt64], wordsPerRow perRow: Int, valid: Tensor, rows: Int, length: Int
    ) -> [Int32] {
        let padding = Int32(paddingDistance)
        return [Int32](unsafeUninitializedCapacity: rows * length) { distances, count in
            let output = distances.baseAddress!
            valid.withUnsafeBufferPointer { validity in
                targets.withUnsafeBufferPointer { targets in
                    sequence.withUnsafeBufferPointer { sequence in
                        Self.forRowBlocks(rows: rows, work: rows * length) { block in
                            for row in block {
                                for position in 0..<length {
                                    let index = row * length + position
                                    guard validity[index] != 0 else {
                                        output[index] = padding
                                        continue
                                    }
                                    var distance = 0
                                    for word in 0..<perRow {
                                        distance += (targets[row * perRow + word] ^ sequence[index * perRow + word]).nonzeroBitCount
                                    }
                                    output[index] = Int32(distance)
                                }
                            }
                        }
                    }
                }
            }
            count = rows * length
        }
    }

    /// Runs `body` over blocks of rows, one per thread once `work` (positions) is large enough:
    /// rows are independent, and each row's result is the same whichever thread computes it.
    private static func forRowBlocks(rows: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let tasks = work >= 1 << 14 ? Compute.threadCount : 1
        Compute.parallelFor(tasks: tasks) { task in body(Compute.range(of: task, tasks: tasks, count: rows)) }
    }

    /// `[n][k']`: per row, the positions of the `k' = min(k, L)` smallest distances, nearest
    /// first, equal distances ordered by ``tieBreaking``.
    public func selectedPositions(distances: [[Int]]) -> [[Int]] {
        let length = distances.first?.count ?? 0
        precondition(distances.allSatisfy { $0.count == length }, "Funnel: SimHash distances of unequal lengths")
        let kept = Swift.min(retrievedCount, length)
        let flat = selected(distances: distances.flatMap { $0.map { Int32($0) } }, rows: distances.count, length: length)
        return stride(from: 0, to: flat.count, by: Swift.max(kept, 1)).map { flat[$0..<($0 + kept)].map(Int.init) }
    }

    /// ``selectedPositions(distances:)`` on flat `[n·L]` distances → flat `[n·k']` positions. A
    /// counting sort per row: O(L + m), and stable in the tie order by construction.
    func selected(distances: [Int32], rows: Int, length: Int) -> [Int32] {
        let kept = Swift.min(retrievedCount, length)
        let largest = Int(distances.max() ?? 0)
        let mostRecentFirst = tieBreaking == .mostRecentFirst
        return [Int32](unsafeUninitializedCapacity: rows * kept) { result, initialized in
            let output = result.baseAddress
            distances.withUnsafeBufferPointer { distances in
                Self.forRowBlocks(rows: rows, work: rows * length) { block in
                    var counts = [Int](repeating: 0, count: largest + 2)
                    var order = [Int32](repeating: 0, count: length)
                    counts.withUnsafeMutableBufferPointer { counts in
                        order.withUnsafeMutableBufferPointer { order in
                            for row in block {
                                let base = row * length
                                for index in counts.indices { counts[index] = 0 }
                                for position in 0..<length { counts[Int(distances[base + position]) + 1] += 1 }
                                for index in 1..<counts.count { counts[index] += counts[index - 1] }
                                for step in 0..<length {
                                    let position = mostRecentFirst ? length - 1 - step : step
                                    let distance = Int(distances[base + position])
                                    order[counts[distance]] = Int32(position)
                                    counts[distance] += 1
                                }
                                for slot in 0..<kept { output![row * kept + slot] = order[slot] }
                            }
                        }
                    }
                }
            }
            initialized = rows * kept
        }
    }

    /// The `k` behaviours nearest to the target (see the type's documentation for shapes).
    public func callAsFunction(target: Tensor, behaviours: Tensor, valid: Tensor) -> Retrieved {
        let (rows, length) = checkShapes(target: target, behaviours: behaviours, valid: valid)
        let kept = Swift.min(retrievedCount, length)
        let positions = selected(
            distances: flatDistances(target: target, behaviours: behaviours, valid: valid), rows: rows, length: length)
        let (flatIndices, selectedValidity) = Self.flatten(positions, valid: valid, rows: rows, length: length, kept: kept)
        let embeddings = behaviours.reshaped([rows * length, dimensions]).indexSelect(flatIndices)
            .reshaped([rows, kept, dimensions])
        return Retrieved(
            embeddings: embeddings, valid: Tensor(shape: [rows, kept], scalars: selectedValidity), selected: positions, kept: kept)
    }

    /// Per-row selected positions `[n·k']` → their indices in the flat `[n·L]` sequence and
    /// their validity.
    private static func flatten(
        _ positions: [Int32], valid: Tensor, rows: Int, length: Int, kept: Int
    ) -> (indices: [Int32], validity: [Float]) {
        var validity = [Float](repeating: 0, count: rows * kept)
        let indices = [Int32](unsafeUninitializedCapacity: rows * kept) { indices, count in
            valid.withUnsafeBufferPointer { valid in
                validity.withUnsafeMutableBufferPointer { validity in
                    positions.withUnsafeBufferPointer { positions in
                        for index in 0..<(rows * kept) {
                            indices[index] = Int32(index / Swift.max(kept, 1) * length) + positions[index]
                            validity[index] = valid[Int(indices[index])]
                        }
                    }
                }
            }
            count = rows * kept
        }
        return (indices, validity)
    }

    /// What ``select(targetIDs:behaviourIDs:valid:embed:)`` returns.
    public struct Selection {
        /// `[n·k']`, row-major: the selected behaviours' ids, nearest first.
        public let ids: [Int32]
        /// `[n, k']`: 1 where the selected slot is a valid behaviour, 0 where it is padding.
        public let valid: Tensor
        /// `[n·k']`, row-major: the selected positions in the behaviour sequence.
        public let selected: [Int32]
        /// `k'`, the positions kept per row.
        public let kept: Int
        /// The distinct ids of the behaviour sequences, in order of first appearance: the rows a
        /// lookup of every behaviour would read.
        public let behaviourIDs: [Int32]
    }

    /// The selection of ``callAsFunction(target:behaviours:valid:)`` from ids, when an id's
    /// vector is a function of the id alone: each distinct id among the targets and the
    /// behaviours is embedded (`embed`, `[u] → [u, d]`, run without gradients) and signed once,
    /// instead of every position of every sequence. The caller gathers the selected ids'
    /// vectors itself, so no `[n, L, d]` tensor is built.
    ///
    /// Shapes: target ids `[n]`, behaviour ids `[n·L]` row-major, valid `[n, L]`.
    public func select(
        targetIDs: [Int32], behaviourIDs: [Int32], valid: Tensor, embed: ([Int32]) -> Tensor
    ) -> Selection {
        let rows = targetIDs.count
        precondition(
            rows > 0 && behaviourIDs.count % rows == 0 && valid.shape == [rows, behaviourIDs.count / rows]
                && !behaviourIDs.contains(where: { $0 < 0 }) && !targetIDs.contains(where: { $0 < 0 }),
            "Funnel: SimHash selection of \(rows) targets, \(behaviourIDs.count) behaviours, valid \(valid.shape)")
        let length = behaviourIDs.count / rows
        let kept = Swift.min(retrievedCount, length)
        // Each distinct id's place in `distinct`, the behaviours' first.
        var slots = [Int32](repeating: -1, count: Int(Swift.max(behaviourIDs.max() ?? 0, targetIDs.max() ?? 0)) + 1)
        var distinct: [Int32] = []
        var behaviourCount = 0
        slots.withUnsafeMutableBufferPointer { slots in
            for (index, ids) in [behaviourIDs, targetIDs].enumerated() {
                if index == 1 { behaviourCount = distinct.count }
                for id in ids where slots[Int(id)] < 0 {
                    slots[Int(id)] = Int32(distinct.count)
                    distinct.append(id)
                }
            }
        }
        let vectors = withoutGradients { embed(distinct) }
        precondition(vectors.shape == [distinct.count, dimensions], "Funnel: SimHash embedded \(distinct.count) ids as \(vectors.shape)")
        let (words, perRow) = packedSignatures(vectors)
        func signatures(of ids: [Int32]) -> [UInt64] {
            [UInt64](unsafeUninitializedCapacity: ids.count * perRow) { result, count in
                ids.withUnsafeBufferPointer { ids in
                    slots.withUnsafeBufferPointer { slots in
                        words.withUnsafeBufferPointer { words in
                            for (index, id) in ids.enumerated() {
                                let start = Int(slots[Int(id)]) * perRow
                                for word in 0..<perRow { result[index * perRow + word] = words[start + word] }
                            }
                        }
                    }
                }
                count = ids.count * perRow
            }
        }
        let positions = selected(
            distances: flatDistances(
                targets: signatures(of: targetIDs), sequence: signatures(of: behaviourIDs), wordsPerRow: perRow,
                valid: valid, rows: rows, length: length),
            rows: rows, length: length)
        let (flatIndices, selectedValidity) = Self.flatten(positions, valid: valid, rows: rows, length: length, kept: kept)
        return Selection(
            ids: flatIndices.map { behaviourIDs[Int($0)] }, valid: Tensor(shape: [rows, kept], scalars: selectedValidity), selected: positions, kept: kept,
            behaviourIDs: Array(distinct[..<behaviourCount]))
    }

    private func checkShapes(target: Tensor, behaviours: Tensor, valid: Tensor) -> (rows: Int, length: Int) {
        precondition(
            target.rank == 2 && behaviours.rank == 3 && target.shape[1] == dimensions
                && behaviours.shape[0] == target.shape[0] && behaviours.shape[2] == dimensions
                && valid.shape == Array(behaviours.shape.prefix(2)),
            "Funnel: SimHash retrieval of target \(target.shape), behaviours \(behaviours.shape), valid \(valid.shape), d = \(dimensions)")
        return (behaviours.shape[0], behaviours.shape[1])
    }
}
