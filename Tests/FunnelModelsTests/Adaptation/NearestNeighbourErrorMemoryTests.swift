import Foundation
import FunnelModels
import FunnelTensor
import Testing

/// adaptation.md §2.3 and §2.8: the exact nearest-neighbour memory's filter, FIFO and top-k.
@Suite struct NearestNeighbourErrorMemoryTests {
    func memory(
        dimensions: Int = 2, neighbours: Int = 10, threshold: Float = 0, keep: Float = 1, capacity: Int = 100, seed: UInt64 = 0
    ) -> NearestNeighbourErrorMemory {
        NearestNeighbourErrorMemory(
            dimensions: dimensions, neighbours: neighbours, errorThreshold: threshold, keepProbability: keep,
            capacity: capacity, seed: seed)
    }

    @Test func onlySamplesOverTheErrorThresholdAreStored() {
        var memory = memory(threshold: 0.25)
        // Errors 0.125, 0.5, exactly 0.25 (not over) and 0.75.
        memory.write(keys: [1, 0, 0, 1, 1, 1, -1, 0], labels: [0, 1, 0, 1], basePredictions: [0.125, 0.5, 0.25, 0.25])
        #expect(memory.storedSamples == 2)
        #expect(memory.heldSamples == 2)
        let labels = memory.read(queries: [1, 1])[0].map(\.basePrediction).sorted()
        #expect(labels == [0.25, 0.5])
    }

    @Test func topKIsByCosineSimilarityBestFirst() {
        var memory = memory(neighbours: 2)
        memory.write(keys: [1, 0, 0, 1, 1, 1, -1, 0], labels: [1, 1, 1, 1], basePredictions: [0.1, 0.2, 0.3, 0.4])
        let readOuts = memory.read(queries: [1, 0.1])[0]
        #expect(readOuts.map(\.basePrediction) == [0.1, 0.3])
        let first = Float(1 / 1.01.squareRoot())
        let second = Float(1.1 / (2 * 1.01).squareRoot())
        #expect(Swift.abs(readOuts[0].similarity - first) < 1e-6)
        #expect(Swift.abs(readOuts[1].similarity - second) < 1e-6)
    }

    @Test func tiesAreInInsertionOrderAcrossTheRing() {
        // All keys on the positive first axis: cosine 1 with (1, 0).
        var memory = memory(neighbours: 2, capacity: 3)
        memory.write(keys: [1, 0, 2, 0, 3, 0], labels: [1, 1, 1], basePredictions: [0.1, 0.2, 0.3])
        #expect(memory.read(queries: [1, 0])[0].map(\.basePrediction) == [0.1, 0.2])
        memory.write(keys: [4, 0], labels: [1], basePredictions: [0.4])
        #expect(memory.read(queries: [1, 0])[0].map(\.basePrediction) == [0.2, 0.3])
        memory.write(keys: [5, 0, 6, 0], labels: [1, 1], basePredictions: [0.5, 0.6])
        #expect(memory.read(queries: [1, 0])[0].map(\.basePrediction) == [0.4, 0.5])
    }

    @Test func zeroVectorsHaveSimilarityZero() {
        var memory = memory(neighbours: 2)
        memory.write(keys: [0, 0, 1, 0, -1, 0], labels: [1, 1, 1], basePredictions: [0.1, 0.2, 0.3])
        // Against (0, 1) every key has cosine 0: insertion order decides.
        #expect(memory.read(queries: [0, 1])[0] == [
            ErrorMemoryReadOut(similarity: 0, label: 1, basePrediction: 0.1),
            ErrorMemoryReadOut(similarity: 0, label: 1, basePrediction: 0.2),
        ])
        // A zero query too.
        #expect(memory.read(queries: [0, 0])[0].map(\.similarity) == [0, 0])
        let best = memory.read(queries: [2, 0])[0]
        #expect(best[0].basePrediction == 0.2 && Swift.abs(best[0].similarity - 1) < 1e-7)
        #expect(best[1].basePrediction == 0.1 && best[1].similarity == 0)
    }

    @Test func capacityEvictsTheOldest() {
        var memory = memory(neighbours: 10, capacity: 3)
        let keys: [Float] = [1, 0, 0, 1, 1, 1, -1, 0, 0, -1]
        memory.write(keys: keys, labels: [1, 1, 1, 1, 1], basePredictions: [0.1, 0.2, 0.3, 0.4, 0.5])
        #expect(memory.storedSamples == 5)
        #expect(memory.heldSamples == 3)
        #expect(memory.byteSize == 3 * (2 + 2) * 4)
        let held = memory.read(queries: [1, 1])[0].map(\.basePrediction).sorted()
        #expect(held == [0.3, 0.4, 0.5])
    }

    @Test func aSingleSampleEqualToTheQueryIsReadBack() {
        var memory = memory(dimensions: 5)
        let key: [Float] = [0.5, -2, 1, 0.25, 3]
        memory.write(keys: key, labels: [0], basePredictions: [0.6])
        let readOuts = memory.read(queries: key)[0]
        #expect(readOuts.count == 1)
        #expect(Swift.abs(readOuts[0].similarity - 1) < 1e-6)
        #expect(readOuts[0].label == 0 && readOuts[0].basePrediction == 0.6)
        let compensation = ErrorCompensation(gamma: 0, strength: 0.5)
        // y_pred − y_base = λ(y_i − y_base_i) = −0.3.
        #expect(Swift.abs(compensation.compensate(basePrediction: 0.7, readOuts: readOuts) - 0.4) < 1e-6)
    }

    @Test func anEmptyMemoryReadsNothing() {
        let memory = memory()
        #expect(memory.read(queries: [1, 0, 0, 1]) == [[], []])
        #expect(memory.byteSize == 0)
        var written = memory
        written.write(keys: [1, 0], labels: [1], basePredictions: [0])
        #expect(written.read(queries: []).isEmpty)
    }

    @Test func downSamplingIsSeeded() {
        var generator = RandomGenerator(seed: 8)
        let keys = (0..<(1000 * 4)).map { _ in generator.nextNormal() }
        let labels = (0..<1000).map { Float($0 % 2) }
        let base = [Float](repeating: 0.5, count: 1000)
        func filled(_ seed: UInt64) -> NearestNeighbourErrorMemory {
            var memory = memory(dimensions: 4, neighbours: 5, keep: 0.5, capacity: 10_000, seed: seed)
            memory.write(keys: keys, labels: labels, basePredictions: base)
            return memory
        }
        let first = filled(1)
        #expect((420...580).contains(first.storedSamples))
        #expect(first.storedSamples == filled(1).storedSamples)
        #expect(first.read(queries: Array(keys.prefix(40))) == filled(1).read(queries: Array(keys.prefix(40))))
        #expect(first.read(queries: Array(keys.prefix(40))) != filled(2).read(queries: Array(keys.prefix(40))))
        // A reset memory draws as a fresh one.
        var reset = first
        reset.reset()
        #expect(reset.storedSamples == 0 && reset.heldSamples == 0)
        reset.write(keys: keys, labels: labels, basePredictions: base)
        #expect(reset.read(queries: Array(keys.prefix(40))) == first.read(queries: Array(keys.prefix(40))))
    }

    @Test func blockedReadsMatchBruteForce() {
        // 3,000 held × 1,500 queries exceeds one block of 2^22 similarities.
        var generator = RandomGenerator(seed: 3)
        let dimensions = 4
        let keys = (0..<(3000 * dimensions)).map { _ in generator.nextNormal() }
        let base = (0..<3000).map { Float($0) / 3000 * 0.5 }
        var memory = memory(dimensions: dimensions, neighbours: 3, capacity: 3000)
        memory.write(keys: keys, labels: [Float](repeating: 1, count: 3000), basePredictions: base)
        let queries = (0..<(1500 * dimensions)).map { _ in generator.nextNormal() }
        let readOuts = memory.read(queries: queries)
        #expect(readOuts.count == 1500)
        func norm(_ values: ArraySlice<Float>) -> Float { values.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        for row in stride(from: 0, to: 1500, by: 97) {
            let query = queries[(row * dimensions)..<((row + 1) * dimensions)]
            let similarities = (0..<3000).map { index -> Float in
                let key = keys[(index * dimensions)..<((index + 1) * dimensions)]
                return zip(query, key).reduce(0) { $0 + $1.0 * $1.1 } / (norm(query) * norm(key))
            }
            let best = similarities.indices.sorted { similarities[$0] > similarities[$1] }.prefix(3)
            #expect(readOuts[row].map(\.basePrediction) == best.map { base[$0] })
            for (readOut, index) in zip(readOuts[row], best) {
                #expect(Swift.abs(readOut.similarity - similarities[index]) < 1e-5)
            }
        }
    }
}
