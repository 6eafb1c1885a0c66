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
/// (`[count × d] · [d × K·L]`, FunnelTensor's `Tensor.matmul`) and one sign-bit pass, then one
/// bucket per array — array by array over the whole chunk (FunnelTensor's
/// `BucketTableKernels`, arrays split across threads), so each pass touches a single array's
/// table. Results do not depend on the thread count: an array's reads fill its own slot, and its
/// writes go in row order.
///
/// Memory: one flat table of `K · 2^L · (d + 3)` floats, allocated on the first write, plus
/// the projections `K · L · d` (``fullByteSize(dimensions:arrays:bits:)``). At the [ASSUMED]
/// defaults K = 100, L = 16 (§2.5) that is 0.92 GB at d = 32 and 1.76 GB at d = 64: choose
/// fewer bits (L = 12: 110 MB at d = 64) when that is too much. Counts are floats, exact up to
/// 2^24 samples per bucket.
public struct SketchErrorMemory: ErrorMemory {
    public let dimensions: Int
    /// `K`, the independent arrays (one read-out each at most).
    public let arrays: Int
    /// `L`, the bits of a bucket index (`2^L` buckets per array), 1...20.
    public let bits: Int
    /// `w`, row-major `[K · L × d]`: row `k·L + l` is `w_{k,l}`.
    public let projections: [Float]
    /// Array `k`'s `2^L` buckets of `[Σh (d), Σy, Σy_base, n]` from `k · 2^L · (d + 3)`;
    /// empty until the first write.
    private var tables: [Float] = []
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
    }

    /// `2^L`, the buckets of one array.
    public var bucketCount: Int { 1 << bits }

    /// Floats per bucket: `Σh`, `Σy`, `Σy_base`, `n`.
    var bucketStride: Int { dimensions + 3 }

    /// Floats per array.
    var tableSize: Int { bucketCount * bucketStride }

    /// The bytes of the tables allocated so far and the projections.
    public var byteSize: Int {
        (tables.count + projections.count) * MemoryLayout<Float>.stride
    }

    /// The bytes of a memory whose every array has been written: `(2^L · K · (d + 3) + K · L · d) · 4`.
    public static func fullByteSize(dimensions: Int, arrays: Int, bits: Int) -> Int {
        ((1 << bits) * arrays * (dimensions + 3) + arrays * bits * dimensions) * MemoryLayout<Float>.stride
    }

    /// `b_k(h)` of every row of `keys` `[count × d]`, array-major `[K × count]`: entry
    /// `k · count + row`.
    func buckets(_ keys: [Float], count: Int) -> [Int32] {
        let (signs, wordsPerRow) = Tensor.matmul(
            Tensor(shape: [count, dimensions], scalars: keys),
            Tensor(shape: [arrays * bits, dimensions], scalars: projections), transposeRight: true
        ).positiveSignBits()
        let (arrays, bits) = (arrays, bits)
        let mask = (UInt64(1) << UInt64(bits)) - 1
        return [Int32](unsafeUninitializedCapacity: count * arrays) { buckets, initialized in
            for row in 0..<count {
                for array in 0..<arrays {
                    // Bit l of the bucket is sign bit k·L + l of the row, which may straddle two words.
                    let first = array * bits
                    let (word, offset) = (row * wordsPerRow + first / 64, first % 64)
                    var value = signs[word] >> UInt64(offset)
                    if offset + bits > 64 { value |= signs[word + 1] << UInt64(64 - offset) }
                    buckets[array * count + row] = Int32(truncatingIfNeeded: value & mask)
                }
            }
            initialized = count * arrays
        }
    }

    /// Runs `body` for ranges of `0 ..< arrays` split across the compute threads.
    private static func forEachArrayRange(arrays: Int, _ body: (Range<Int>) -> Void) {
        let tasks = Swift.min(arrays, Compute.threadCount)
        Compute.parallelFor(tasks: tasks) { task in body(Compute.range(of: task, tasks: tasks, count: arrays)) }
    }

    public mutating func write(keys: [Float], labels: [Float], basePredictions: [Float]) {
        let count = ErrorMemoryArithmetic.rowCount(keys, dimensions: dimensions, values: [labels.count, basePredictions.count], "a write")
        guard count > 0 else { return }
        let buckets = latestRead.keys == keys ? latestRead.buckets : buckets(keys, count: count)
        let (dimensions, stride, tableSize, arrays) = (dimensions, bucketStride, tableSize, arrays)
        // Each sample's record (h, y, y_base, 1), added whole into one bucket of every array.
        var records = [Float](repeating: 1, count: count * stride)
        for row in 0..<count {
            records.replaceSubrange((row * stride)..<(row * stride + dimensions), with: keys[(row * dimensions)..<((row + 1) * dimensions)])
            records[row * stride + dimensions] = labels[row]
            records[row * stride + dimensions + 1] = basePredictions[row]
        }
        if tables.isEmpty { tables = [Float](repeating: 0, count: arrays * tableSize) }
        buckets.withUnsafeBufferPointer { buckets in
            records.withUnsafeBufferPointer { records in
                tables.withUnsafeMutableBufferPointer { tables in
                    let (buckets, records, tables) = (buckets.baseAddress!, records.baseAddress!, tables.baseAddress!)
                    Self.forEachArrayRange(arrays: arrays) { range in
                        for array in range {
                            BucketTableKernels.scatterAdd(
                                table: tables + array * tableSize, stride: stride, bucketIndices: buckets + array * count,
                                count: count, values: records, width: stride)
                        }
                    }
                }
            }
        }
        storedSamples += count
    }

    public func readOuts(queries: [Float]) -> ErrorMemoryReadOuts {
        let count = ErrorMemoryArithmetic.rowCount(queries, dimensions: dimensions, "a read")
        var readOuts = ErrorMemoryReadOuts(rows: count, slots: arrays)
        guard storedSamples > 0, count > 0 else { return readOuts }
        let buckets = buckets(queries, count: count)
        latestRead.keys = queries
        latestRead.buckets = buckets
        let dimensions = dimensions
        let queryNorms = queries.withUnsafeBufferPointer { queries in
            (0..<count).map { ErrorMemoryArithmetic.norm(queries, row: $0, dimensions: dimensions) }
        }
        tables.withUnsafeBufferPointer { tables in
            buckets.withUnsafeBufferPointer { buckets in
                queries.withUnsafeBufferPointer { queries in
                    readOuts.withUnsafeMutablePointers { similarities, labels, basePredictions in
                        Self.forEachArrayRange(arrays: arrays) { range in
                            var dots = [Float](repeating: 0, count: count)
                            var squares = [Float](repeating: 0, count: count)
                            for array in range {
                                let table = tables.baseAddress! + array * tableSize
                                let indices = buckets.baseAddress! + array * count
                                BucketTableKernels.gatheredDots(
                                    table: table, stride: bucketStride, bucketIndices: indices, count: count,
                                    queries: queries.baseAddress!, width: dimensions, dots: &dots, squares: &squares)
                                for row in 0..<count {
                                    let bucket = table + Int(indices[row]) * bucketStride
                                    let samples = bucket[dimensions + 2]
                                    guard samples > 0 else { continue }
                                    let slot = array * count + row
                                    similarities[slot] = ErrorMemoryArithmetic.cosine(
                                        dot: dots[row], normProduct: queryNorms[row] * squares[row].squareRoot())
                                    labels[slot] = bucket[dimensions] / samples
                                    basePredictions[slot] = bucket[dimensions + 1] / samples
                                }
                            }
                        }
                    }
                }
            }
        }
        return readOuts
    }

    /// Zeroes the tables (kept allocated, so a replay's resets do not reallocate).
    public mutating func reset() {
        tables.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        storedSamples = 0
    }
}

/// The keys and buckets of a sketch memory's latest read (one replay thread uses a memory).
final class BucketCache: @unchecked Sendable {
    var keys: [Float] = []
    var buckets: [Int32] = []
}
