import FunnelTensor

/// ReLoop2's proposed error memory: a locality-sensitive-hashing sketch (Zhu et al., KDD 2023,
/// arXiv 2306.08808; adaptation.md §2.3).
///
/// `K` independent arrays `M_k`; array `k` has its own `L` signed random projections
/// `w_{k,l} ~ N(0, I_d)`, drawn in the order (k, l, dimension) from
/// `RandomGenerator(seed: seed)`, which map a key `h` to one of `2^L` buckets
/// `b_k(h) = Σ_l 2^l · 1[w_{k,l} · h > 0]`. A bucket holds `(Σh, Σy, Σy_base, n)` — `d + 3`
/// floats, zero-initialised ([ASSUMED] count `n`, §2.3).
///
/// - Write (each labelled sample, every array): `M_k[b_k(h)] += (h, y, y_base, 1)`.
/// - Read (each query, every array whose bucket is non-empty, in array order): the read-out
///   `(s_k, Σy/n, Σy_base/n)` with `s_k = cos(h_q, Σh)` — cosine is scale-invariant, so the
///   sum stands for the bucket's mean key. An all-empty query reads nothing (§2.3).
///
/// Both are O(K·(L + 1)·d) per sample: the projections are one GEMM over the chunk
/// (`[count × d] · [d × K·L]`, FunnelTensor's `Tensor.matmul`), then one bucket per array.
///
/// Memory: each array is one flat, contiguous table of `2^L · (d + 3)` floats, allocated on
/// its first write, so a full memory holds `2^L · K · (d + 3) · 4` bytes plus the projections
/// `K · L · d · 4` (``fullByteSize(dimensions:arrays:bits:)``). At the [ASSUMED] defaults
/// K = 100, L = 16 (§2.5) that is 0.92 GB at d = 32 and 1.76 GB at d = 64: choose fewer bits
/// (L = 12: 110 MB at d = 64) when that is too much. Counts are floats, exact up to 2^24
/// samples per bucket.
public struct SketchErrorMemory: ErrorMemory {
    public let dimensions: Int
    /// `K`, the independent arrays (one read-out each at most).
    public let arrays: Int
    /// `L`, the bits of a bucket index (`2^L` buckets per array), 1...20.
    public let bits: Int
    /// `w`, row-major `[K · L × d]`: row `k·L + l` is `w_{k,l}`.
    public let projections: [Float]
    /// Per array `2^L` buckets of `[Σh (d), Σy, Σy_base, n]`; empty until the array's first write.
    private var tables: [[Float]]
    /// The buckets of the latest read, reused by a write of the same keys (a replay reads a
    /// chunk, then writes it): the projections are most of a small memory's cost.
    private let latestRead = BucketCache()
    public private(set) var storedSamples = 0

    /// A memory with projections drawn from `RandomGenerator(seed: seed)`.
    public init(dimensions: Int, arrays: Int, bits: Int, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        var projections = [Float](repeating: 0, count: arrays * bits * dimensions)
        for index in projections.indices { projections[index] = generator.nextNormal() }
        self.init(dimensions: dimensions, arrays: arrays, bits: bits, projections: projections)
    }

    /// A memory with explicit projections `[arrays · bits × dimensions]` (row `k·L + l` is
    /// `w_{k,l}`), for tests.
    init(dimensions: Int, arrays: Int, bits: Int, projections: [Float]) {
        precondition(dimensions >= 1 && arrays >= 1, "Funnel: a sketch memory needs d >= 1 and K >= 1")
        precondition((1...20).contains(bits), "Funnel: a sketch memory's bits L must be in 1...20, got \(bits)")
        precondition(projections.count == arrays * bits * dimensions, "Funnel: a sketch memory needs K·L·d projection values")
        self.dimensions = dimensions
        self.arrays = arrays
        self.bits = bits
        self.projections = projections
        tables = Array(repeating: [], count: arrays)
    }

    /// `2^L`, the buckets of one array.
    public var bucketCount: Int { 1 << bits }

    /// Floats per bucket: `Σh`, `Σy`, `Σy_base`, `n`.
    var bucketStride: Int { dimensions + 3 }

    /// The bytes of the tables allocated so far and the projections.
    public var byteSize: Int {
        (tables.reduce(0) { $0 + $1.count } + projections.count) * MemoryLayout<Float>.stride
    }

    /// The bytes of a memory whose every array has been written: `(2^L · K · (d + 3) + K · L · d) · 4`.
    public static func fullByteSize(dimensions: Int, arrays: Int, bits: Int) -> Int {
        ((1 << bits) * arrays * (dimensions + 3) + arrays * bits * dimensions) * MemoryLayout<Float>.stride
    }

    /// `b_k(h)` of every row of `keys` `[count × d]`, row-major `[count × K]`.
    func buckets(_ keys: [Float], count: Int) -> [Int32] {
        let products = Tensor.matmul(
            Tensor(shape: [count, dimensions], scalars: keys),
            Tensor(shape: [arrays * bits, dimensions], scalars: projections), transposeRight: true
        ).scalars
        var buckets = [Int32](repeating: 0, count: count * arrays)
        let (arrays, bits) = (arrays, bits)
        products.withUnsafeBufferPointer { products in
            buckets.withUnsafeMutableBufferPointer { buckets in
                for row in 0..<count {
                    for array in 0..<arrays {
                        let start = (row * arrays + array) * bits
                        var bucket: Int32 = 0
                        // Branch-free: the signs are coin flips, which a branch would mispredict.
                        for bit in 0..<bits { bucket |= (products[start + bit] > 0 ? 1 : 0) << Int32(bit) }
                        buckets[row * arrays + array] = bucket
                    }
                }
            }
        }
        return buckets
    }

    public mutating func write(keys: [Float], labels: [Float], basePredictions: [Float]) {
        let count = ErrorMemoryArithmetic.rowCount(keys, dimensions: dimensions, values: [labels.count, basePredictions.count], "a write")
        guard count > 0 else { return }
        let buckets = latestRead.keys == keys ? latestRead.buckets : buckets(keys, count: count)
        let (dimensions, stride, arrays, tableSize) = (dimensions, bucketStride, arrays, bucketCount * bucketStride)
        for array in 0..<arrays {
            if tables[array].isEmpty { tables[array] = [Float](repeating: 0, count: tableSize) }
            tables[array].withUnsafeMutableBufferPointer { table in
                keys.withUnsafeBufferPointer { keys in
                    for row in 0..<count {
                        let base = Int(buckets[row * arrays + array]) * stride
                        let key = row * dimensions
                        for index in 0..<dimensions { table[base + index] += keys[key + index] }
                        table[base + dimensions] += labels[row]
                        table[base + dimensions + 1] += basePredictions[row]
                        table[base + dimensions + 2] += 1
                    }
                }
            }
        }
        storedSamples += count
    }

    public func read(queries: [Float]) -> [[ErrorMemoryReadOut]] {
        let count = ErrorMemoryArithmetic.rowCount(queries, dimensions: dimensions, "a read")
        guard storedSamples > 0, count > 0 else { return Array(repeating: [], count: count) }
        let buckets = buckets(queries, count: count)
        latestRead.keys = queries
        latestRead.buckets = buckets
        let (dimensions, stride, arrays) = (dimensions, bucketStride, arrays)
        var readOuts = [[ErrorMemoryReadOut]](repeating: [], count: count)
        queries.withUnsafeBufferPointer { queries in
            for row in 0..<count {
                let queryNorm = ErrorMemoryArithmetic.norm(queries, row: row, dimensions: dimensions)
                let query = row * dimensions
                var rowReadOuts: [ErrorMemoryReadOut] = []
                rowReadOuts.reserveCapacity(arrays)
                for array in 0..<arrays {
                    tables[array].withUnsafeBufferPointer { table in
                        guard !table.isEmpty else { return }
                        let base = Int(buckets[row * arrays + array]) * stride
                        let samples = table[base + dimensions + 2]
                        guard samples > 0 else { return }
                        var dot: Float = 0
                        var squares: Float = 0
                        for index in 0..<dimensions {
                            let sum = table[base + index]
                            dot += sum * queries[query + index]
                            squares += sum * sum
                        }
                        rowReadOuts.append(ErrorMemoryReadOut(
                            similarity: ErrorMemoryArithmetic.cosine(dot: dot, normProduct: queryNorm * squares.squareRoot()),
                            label: table[base + dimensions] / samples,
                            basePrediction: table[base + dimensions + 1] / samples))
                    }
                }
                readOuts[row] = rowReadOuts
            }
        }
        return readOuts
    }

    /// Zeroes every table (allocated tables are kept, so a replay's resets do not reallocate).
    public mutating func reset() {
        for array in 0..<arrays where !tables[array].isEmpty {
            tables[array].withUnsafeMutableBufferPointer { table in
                table.update(repeating: 0)
            }
        }
        storedSamples = 0
    }
}

/// The keys and buckets of a sketch memory's latest read (one replay thread uses a memory).
final class BucketCache: @unchecked Sendable {
    var keys: [Float] = []
    var buckets: [Int32] = []
}
