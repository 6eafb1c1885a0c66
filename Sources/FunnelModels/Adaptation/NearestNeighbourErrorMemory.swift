import FunnelTensor

/// ReLoop2's baseline error memory: the stored samples themselves, searched exactly (Zhu et
/// al., KDD 2023, arXiv 2306.08808; adaptation.md §2.3, "ANN memory" — brute force here, where
/// the paper uses an approximate index such as Faiss or HNSW).
///
/// - Write: a sample is kept only when its error is large, `|y − y_base| > σ`, and then with
///   probability `keepProbability` (one uniform draw per such sample from
///   `RandomGenerator(seed: seed)`, none when the probability is 1); kept samples enter a FIFO
///   of `capacity` samples, the oldest evicted first.
/// - Read: per query the `k` stored samples of highest cosine similarity `cos(h_q, h_i)`,
///   best first, ties in insertion order (older first); fewer when fewer are stored.
///
/// Cost: a read is one GEMM `[queries × d] · [d × stored]` (FunnelTensor's `Tensor.matmul`,
/// in blocks of at most 2^22 similarities) and a top-k scan, O(stored · d) per query; a write
/// is O(d) per sample. Keys are stored normalised to unit length (a zero key stays zero), so a
/// query's dot products rank by cosine without a division per stored sample. Memory:
/// `capacity · (d + 2) · 4` bytes when full (unit key, `y`, `y_base`).
public struct NearestNeighbourErrorMemory: ErrorMemory {
    public let dimensions: Int
    /// `k`, the read-outs per query.
    public let neighbours: Int
    /// `σ`: only samples with `|y − y_base| > σ` are kept.
    public let errorThreshold: Float
    /// The probability that a sample over the threshold is kept.
    public let keepProbability: Float
    /// The most samples held; the oldest is evicted first.
    public let capacity: Int
    public let seed: UInt64
    private var generator: RandomGenerator
    /// Ring buffers of the held samples: unit keys `[held × d]`, labels, base predictions.
    private var keys: [Float] = []
    private var labels: [Float] = []
    private var basePredictions: [Float] = []
    /// The slot the next sample overwrites once the memory is full (the oldest sample's).
    private var oldest = 0
    /// Samples kept since the last reset (evicted ones included).
    public private(set) var storedSamples = 0

    public init(dimensions: Int, neighbours: Int, errorThreshold: Float, keepProbability: Float, capacity: Int, seed: UInt64) {
        precondition(dimensions >= 1 && neighbours >= 1 && capacity >= 1, "Funnel: a nearest-neighbour memory needs d, k and a capacity >= 1")
        precondition(keepProbability > 0 && keepProbability <= 1, "Funnel: keepProbability must be in (0, 1], got \(keepProbability)")
        self.dimensions = dimensions
        self.neighbours = neighbours
        self.errorThreshold = errorThreshold
        self.keepProbability = keepProbability
        self.capacity = capacity
        self.seed = seed
        generator = RandomGenerator(seed: seed)
    }

    /// The samples held now, at most `capacity`.
    public var heldSamples: Int { labels.count }

    public var byteSize: Int {
        (keys.count + labels.count + basePredictions.count) * MemoryLayout<Float>.stride
    }

    /// The bytes of a full memory: `capacity · (d + 2) · 4`.
    public static func fullByteSize(dimensions: Int, capacity: Int) -> Int {
        capacity * (dimensions + 2) * MemoryLayout<Float>.stride
    }

    public mutating func write(keys newKeys: [Float], labels newLabels: [Float], basePredictions newBase: [Float]) {
        let count = ErrorMemoryArithmetic.rowCount(newKeys, dimensions: dimensions, values: [newLabels.count, newBase.count], "a write")
        let dimensions = dimensions
        newKeys.withUnsafeBufferPointer { newKeys in
            for row in 0..<count {
                guard Swift.abs(newLabels[row] - newBase[row]) > errorThreshold else { continue }
                if keepProbability < 1, generator.nextUnitFloat() >= keepProbability { continue }
                let norm = ErrorMemoryArithmetic.norm(newKeys, row: row, dimensions: dimensions)
                let scale: Float = norm > 0 && norm.isFinite ? 1 / norm : 0
                let key = newKeys[(row * dimensions)..<((row + 1) * dimensions)].lazy.map { $0 * scale }
                if labels.count < capacity {
                    keys.append(contentsOf: key)
                    labels.append(newLabels[row])
                    basePredictions.append(newBase[row])
                } else {
                    keys.replaceSubrange((oldest * dimensions)..<((oldest + 1) * dimensions), with: key)
                    labels[oldest] = newLabels[row]
                    basePredictions[oldest] = newBase[row]
                    oldest = (oldest + 1) % capacity
                }
                storedSamples += 1
            }
        }
    }

    public func readOuts(queries: [Float]) -> ErrorMemoryReadOuts {
        let count = ErrorMemoryArithmetic.rowCount(queries, dimensions: dimensions, "a read")
        let held = labels.count
        var readOuts = ErrorMemoryReadOuts(rows: count, slots: neighbours)
        guard held > 0, count > 0 else { return readOuts }
        let dimensions = dimensions
        let stored = Tensor(shape: [held, dimensions], scalars: keys)
        let block = Swift.max(1, (1 << 22) / held)
        var first = 0
        while first < count {
            let rows = Swift.min(block, count - first)
            let slice = Array(queries[(first * dimensions)..<((first + rows) * dimensions)])
            let dots = Tensor.matmul(Tensor(shape: [rows, dimensions], scalars: slice), stored, transposeRight: true).scalars
            // Each query's top k is independent: rows are split across the compute threads.
            let tasks = Swift.min(rows, Compute.threadCount)
            var found = [[ErrorMemoryReadOut]](repeating: [], count: rows)
            slice.withUnsafeBufferPointer { slice in
                dots.withUnsafeBufferPointer { dots in
                    found.withUnsafeMutableBufferPointer { found in
                        let found = found.baseAddress!
                        Compute.parallelFor(tasks: tasks) { task in
                            for row in Compute.range(of: task, tasks: tasks, count: rows) {
                                let queryNorm = ErrorMemoryArithmetic.norm(slice, row: row, dimensions: dimensions)
                                found[row] = nearest(dots: UnsafeBufferPointer(rebasing: dots[(row * held)..<((row + 1) * held)]), queryNorm: queryNorm)
                            }
                        }
                    }
                }
            }
            for (row, list) in found.enumerated() {
                for (slot, readOut) in list.enumerated() { readOuts[slot, first + row] = readOut }
            }
            first += rows
        }
        return readOuts
    }

    /// The top `k` of one query's dot products with the held unit keys (slot order), best first.
    private func nearest(dots: UnsafeBufferPointer<Float>, queryNorm: Float) -> [ErrorMemoryReadOut] {
        let held = labels.count
        let limit = Swift.min(neighbours, held)
        // (dot, slot), kept sorted best first; scanned in insertion order (the oldest slot
        // first), so a later sample enters only when strictly more similar: ties stay in
        // insertion order. The query's norm is common to all, so dots rank as cosines do.
        var best: [(dot: Float, slot: Int)] = []
        best.reserveCapacity(limit + 1)
        var worst = -Float.infinity
        for part in [oldest..<held, 0..<oldest] {
            for slot in part {
                let dot = dots[slot]
                if dot.isNaN || (best.count == limit && dot <= worst) { continue }
                var index = best.count
                while index > 0, best[index - 1].dot < dot { index -= 1 }
                best.insert((dot, slot), at: index)
                if best.count > limit { best.removeLast() }
                worst = best[best.count - 1].dot
            }
        }
        return best.map {
            ErrorMemoryReadOut(
                similarity: ErrorMemoryArithmetic.cosine(dot: $0.dot, normProduct: queryNorm), label: labels[$0.slot],
                basePrediction: basePredictions[$0.slot])
        }
    }

    /// Drops every held sample and re-seeds the down-sampling draws (as freshly made).
    public mutating func reset() {
        keys.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        basePredictions.removeAll(keepingCapacity: true)
        oldest = 0
        storedSamples = 0
        generator = RandomGenerator(seed: seed)
    }
}
