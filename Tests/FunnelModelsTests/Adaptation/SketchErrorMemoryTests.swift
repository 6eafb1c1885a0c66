import Foundation
import FunnelTensor
import Testing

@testable import FunnelModels

/// adaptation.md §2.3 and §2.8: the LSH sketch memory's buckets, averages and similarities.
@Suite struct SketchErrorMemoryTests {
    /// d = 2, one array of one bit, `w = (1, 0)`: bucket 1 iff the first coordinate is positive.
    func signOfFirstCoordinate() -> SketchErrorMemory {
        SketchErrorMemory(dimensions: 2, arrays: 1, bits: 1, projections: [1, 0])
    }

    @Test func theOracleKeysFallInTheirBuckets() {
        let memory = signOfFirstCoordinate()
        #expect(memory.buckets([2, 5, 3, -1, -1, 0], count: 3) == [1, 1, 0])
        #expect(memory.bucketCount == 2)
    }

    @Test func bucketIndexWeighsBitLByTwoToTheL() {
        // Array 0: w_0 = (1, 0), w_1 = (0, 1); array 1: w_0 = (0, −1), w_1 = (−1, 0).
        let memory = SketchErrorMemory(dimensions: 2, arrays: 2, bits: 2, projections: [1, 0, 0, 1, 0, -1, -1, 0])
        // (2, 5): array 0 bits (1, 1) = 3, array 1 bits (0, 0) = 0; (3, −1): 1 and 1; (−1, −2): 0 and 3.
        // Array-major: array 0's buckets of the three keys, then array 1's.
        #expect(memory.buckets([2, 5, 3, -1, -1, -2], count: 3) == [3, 1, 0, 0, 1, 3])
    }

    /// 13 arrays of 10 bits: 130 sign bits a row, so some arrays' bits straddle two 64-bit words.
    @Test func bucketsMatchPlainDotProducts() {
        let (arrays, bits) = (13, 10)
        let memory = SketchErrorMemory(dimensions: 16, arrays: arrays, bits: bits, seed: 3)
        var generator = RandomGenerator(seed: 9)
        let keys = (0..<(40 * 16)).map { _ in generator.nextNormal() }
        let buckets = memory.buckets(keys, count: 40)
        for row in 0..<40 {
            for array in 0..<arrays {
                var bucket: Int32 = 0
                for bit in 0..<bits {
                    var dot: Float = 0
                    for index in 0..<16 { dot += memory.projections[(array * bits + bit) * 16 + index] * keys[row * 16 + index] }
                    if dot > 0 { bucket |= 1 << Int32(bit) }
                }
                #expect(buckets[array * 40 + row] == bucket)
            }
        }
    }

    /// Arrays are split across threads; an array's writes go in row order and its reads fill
    /// its own slot, so one and two threads give identical read-outs.
    @Test func readOutsDoNotDependOnTheThreadCount() {
        var generator = RandomGenerator(seed: 4)
        let keys = (0..<(300 * 12)).map { _ in generator.nextNormal() }
        let labels = (0..<300).map { _ in Float(generator.nextUnitFloat() < 0.3 ? 1 : 0) }
        let basePredictions = (0..<300).map { _ in generator.nextUnitFloat() }
        let queries = (0..<(50 * 12)).map { _ in generator.nextNormal() }
        let readOuts = [1, 2].map { threads in
            Compute.withThreads(threads) {
                var memory = SketchErrorMemory(dimensions: 12, arrays: 7, bits: 3, seed: 5)
                memory.write(keys: keys, labels: labels, basePredictions: basePredictions)
                return memory.readOuts(queries: queries)
            }
        }
        #expect(readOuts[0] == readOuts[1])
        #expect(readOuts[0].count == 50 * 7)
    }

    @Test func readsAverageTheBucketAfterSeveralWrites() throws {
        var memory = signOfFirstCoordinate()
        memory.write(keys: [2, 5, -1, 0], labels: [1, 1], basePredictions: [0.2, 0.9])
        memory.write(keys: [3, -1], labels: [0], basePredictions: [0.4])
        #expect(memory.storedSamples == 3)
        let readOuts = memory.read(queries: [1, 1, -2, 3])
        // Bucket 1 holds (2, 5) and (3, −1): Σh = (5, 4), ȳ = 0.5, ȳ_base = 0.3.
        let positive = try #require(readOuts[0].first)
        #expect(readOuts[0].count == 1)
        #expect(Swift.abs(positive.label - 0.5) < 1e-7)
        #expect(Swift.abs(positive.basePrediction - 0.3) < 1e-7)
        #expect(Swift.abs(positive.similarity - Float(9 / (2.0.squareRoot() * 41.0.squareRoot()))) < 1e-6)
        // Bucket 0 holds (−1, 0) alone.
        let negative = try #require(readOuts[1].first)
        #expect(negative == ErrorMemoryReadOut(similarity: negative.similarity, label: 1, basePrediction: 0.9))
        #expect(Swift.abs(negative.similarity - Float(2 / 13.0.squareRoot())) < 1e-6)
    }

    @Test func similarityIsScaleInvariant() {
        var memory = signOfFirstCoordinate()
        memory.write(keys: [1, 1, 3, 3], labels: [0, 1], basePredictions: [0, 0])
        let near = memory.read(queries: [1, 1])[0][0].similarity
        let far = memory.read(queries: [100, 100])[0][0].similarity
        #expect(Swift.abs(near - 1) < 1e-6)
        #expect(Swift.abs(far - 1) < 1e-6)
    }

    @Test func anEmptyBucketReadsNothing() {
        var memory = signOfFirstCoordinate()
        #expect(memory.read(queries: [1, 0, -1, 0]) == [[], []])
        memory.write(keys: [-1, 0], labels: [1], basePredictions: [0.5])
        let readOuts = memory.read(queries: [1, 0, -1, 0])
        #expect(readOuts[0].isEmpty)
        #expect(readOuts[1].count == 1)
        // An empty chunk reads and writes nothing.
        #expect(memory.read(queries: []).isEmpty)
        memory.write(keys: [], labels: [], basePredictions: [])
        #expect(memory.storedSamples == 1)
    }

    @Test func readOutsComeOnePerNonEmptyArrayInArrayOrder() {
        // Array 0 splits on the first coordinate, array 1 on the second.
        var memory = SketchErrorMemory(dimensions: 2, arrays: 2, bits: 1, projections: [1, 0, 0, 1])
        memory.write(keys: [1, 1, 1, -1, -1, -1], labels: [1, 0, 0], basePredictions: [0.1, 0.2, 0.3])
        let readOut = memory.read(queries: [1, 1])[0]
        // Array 0, bucket 1: (1, 1) and (1, −1); array 1, bucket 1: (1, 1) alone.
        #expect(readOut.count == 2)
        #expect(Swift.abs(readOut[0].label - 0.5) < 1e-7 && Swift.abs(readOut[0].basePrediction - 0.15) < 1e-7)
        #expect(readOut[1] == ErrorMemoryReadOut(similarity: readOut[1].similarity, label: 1, basePrediction: 0.1))
        #expect(Swift.abs(readOut[1].similarity - 1) < 1e-6)
    }

    @Test func aSingleSampleIsReadBackFromEveryArray() throws {
        var memory = SketchErrorMemory(dimensions: 8, arrays: 10, bits: 4, seed: 7)
        let key: [Float] = [0.3, -1.2, 0.8, 0.05, -0.4, 2.0, -0.7, 0.1]
        memory.write(keys: key, labels: [1], basePredictions: [0.35])
        let readOuts = memory.read(queries: key)[0]
        #expect(readOuts.count == 10)
        for readOut in readOuts {
            #expect(Swift.abs(readOut.similarity - 1) < 1e-6)
            #expect(readOut.label == 1 && readOut.basePrediction == 0.35)
        }
        let compensation = ErrorCompensation(gamma: 0, strength: 0.5)
        let neighbourhood = try #require(compensation.neighbourhood(readOuts))
        #expect(neighbourhood.label == 1 && Swift.abs(neighbourhood.basePrediction - 0.35) < 1e-6)
        #expect(Swift.abs(compensation.compensate(basePrediction: 0.2, readOuts: readOuts) - (0.2 + 0.5 * 0.65)) < 1e-6)
    }

    @Test func resetEmptiesTheMemory() {
        var memory = SketchErrorMemory(dimensions: 4, arrays: 3, bits: 3, seed: 1)
        let keys: [Float] = [1, 2, 3, 4, -1, 0.5, 2, -3]
        memory.write(keys: keys, labels: [1, 0], basePredictions: [0.5, 0.5])
        let bytes = memory.byteSize
        memory.reset()
        #expect(memory.storedSamples == 0)
        #expect(memory.read(queries: keys) == [[], []])
        #expect(memory.byteSize == bytes)
        // Written again, it reads as a fresh memory does.
        var fresh = SketchErrorMemory(dimensions: 4, arrays: 3, bits: 3, seed: 1)
        fresh.write(keys: [1, 2, 3, 4], labels: [0], basePredictions: [0.25])
        memory.write(keys: [1, 2, 3, 4], labels: [0], basePredictions: [0.25])
        #expect(memory.read(queries: keys) == fresh.read(queries: keys))
    }

    @Test func projectionsAreSeeded() {
        let first = SketchErrorMemory(dimensions: 6, arrays: 4, bits: 5, seed: 11)
        let again = SketchErrorMemory(dimensions: 6, arrays: 4, bits: 5, seed: 11)
        let other = SketchErrorMemory(dimensions: 6, arrays: 4, bits: 5, seed: 12)
        #expect(first.projections == again.projections)
        #expect(first.projections != other.projections)
        // Standard normal draws: 120 values with mean near 0 and variance near 1.
        let big = SketchErrorMemory(dimensions: 64, arrays: 100, bits: 16, seed: 0).projections
        let mean = big.reduce(0, +) / Float(big.count)
        let variance = big.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(big.count)
        #expect(Swift.abs(mean) < 0.01 && Swift.abs(variance - 1) < 0.02)
        // The same writes give the same reads.
        var left = first
        var right = again
        var generator = RandomGenerator(seed: 5)
        let keys = (0..<(30 * 6)).map { _ in generator.nextNormal() }
        let labels = (0..<30).map { Float($0 % 2) }
        let base = (0..<30).map { _ in generator.nextUnitFloat() }
        left.write(keys: keys, labels: labels, basePredictions: base)
        right.write(keys: keys, labels: labels, basePredictions: base)
        #expect(left.read(queries: keys) == right.read(queries: keys))
    }

    @Test func byteSizeCountsAllocatedTablesAndProjections() {
        var memory = SketchErrorMemory(dimensions: 32, arrays: 4, bits: 10, seed: 2)
        #expect(memory.byteSize == 4 * 10 * 32 * 4)
        memory.write(keys: [Float](repeating: 1, count: 32), labels: [1], basePredictions: [0])
        #expect(memory.byteSize == SketchErrorMemory.fullByteSize(dimensions: 32, arrays: 4, bits: 10))
        #expect(SketchErrorMemory.fullByteSize(dimensions: 32, arrays: 4, bits: 10) == (1024 * 4 * 35 + 4 * 10 * 32) * 4)
        // The [ASSUMED] defaults K = 100, L = 16 at d = 64: 1.76 GB.
        #expect(SketchErrorMemory.fullByteSize(dimensions: 64, arrays: 100, bits: 16) == 1_756_364_800 + 100 * 16 * 64 * 4)
    }

    @Test func largeSketchesWork() {
        // L = 16 and K = 200 at d = 32: 1.8 GB if every array were written; one written array holds 9 MB.
        var memory = SketchErrorMemory(dimensions: 32, arrays: 200, bits: 16, seed: 4)
        #expect(memory.byteSize == 200 * 16 * 32 * 4)
        var generator = RandomGenerator(seed: 6)
        let keys = (0..<(8 * 32)).map { _ in generator.nextNormal() }
        memory.write(keys: keys, labels: [Float](repeating: 1, count: 8), basePredictions: [Float](repeating: 0.5, count: 8))
        let readOuts = memory.read(queries: keys)
        #expect(readOuts.allSatisfy { $0.count == 200 })
        #expect(readOuts.allSatisfy { $0.allSatisfy { $0.label == 1 && $0.similarity > 0.5 } })
        memory.reset()
    }

    @Test func aWriteAfterAReadOfTheSameKeysStoresWhatAPlainWriteStores() {
        var random = RandomGenerator(seed: 11)
        let keys = (0..<(40 * 6)).map { _ in random.nextNormal() }
        let labels = (0..<40).map { Float($0 % 2) }
        let predictions = (0..<40).map { Float($0) / 40 }
        var readFirst = SketchErrorMemory(dimensions: 6, arrays: 5, bits: 4, seed: 3)
        var plain = SketchErrorMemory(dimensions: 6, arrays: 5, bits: 4, seed: 3)
        _ = readFirst.read(queries: keys)
        readFirst.write(keys: keys, labels: labels, basePredictions: predictions)
        plain.write(keys: keys, labels: labels, basePredictions: predictions)
        let queries = (0..<(7 * 6)).map { _ in random.nextNormal() }
        #expect(readFirst.read(queries: queries) == plain.read(queries: queries))
        // Other keys after a read are hashed afresh.
        let others = (0..<(40 * 6)).map { _ in random.nextNormal() }
        readFirst.write(keys: others, labels: labels, basePredictions: predictions)
        plain.write(keys: others, labels: labels, basePredictions: predictions)
        #expect(readFirst.read(queries: queries) == plain.read(queries: queries))
    }
}
