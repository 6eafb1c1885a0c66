import FunnelTensor
import Testing

@testable import FunnelData

/// Sampled negatives: uniform over the catalogue's real ids, never the row's own item, drawn
/// from the step's generator only.
@Suite struct NegativeSamplingTests {
    private func batcher(count: Int = 2) throws -> (TemporaryDataset, Batcher) {
        let folder = try TemporaryDataset(schema: exposureSchema(), files: ["train.csv": exposureTrain, "test.csv": exposureTest])
        let dataset = try Dataset.load(folder.directory, cache: .ignore)
        return (folder, try Batcher(
            dataset: dataset, split: "train", batchSize: 4, shuffle: false, negativeSampling: NegativeSampling(column: "item", count: count)))
    }

    @Test func negativesAreRealItemsOtherThanTheRowsOwn() throws {
        let (_, batcher) = try batcher(count: 50)
        var random = RandomGenerator(seed: 7)
        let batch = batcher.batch(batcher.batches(epoch: 0)[0], random: &random)
        let negatives = try #require(batch.negatives["item"])
        let own = try #require(batch.ids["item"])
        #expect(negatives.count == 4 * 50)
        for row in 0..<4 {
            let drawn = negatives[(row * 50)..<((row + 1) * 50)]
            // The built vocabulary reserves id 0: real items are 1, 2, 3.
            #expect(drawn.allSatisfy { (1...3).contains($0) && $0 != own[row] })
            #expect(Set(drawn).count == 2, "both other items are drawn")
        }
    }

    @Test func theStepGeneratorDecidesTheDraws() throws {
        let (_, batcher) = try batcher()
        let rows = batcher.batches(epoch: 0)[0]
        var first = RandomGenerator(seed: 3, epoch: 1, step: 9)
        var second = RandomGenerator(seed: 3, epoch: 1, step: 9)
        var later = RandomGenerator(seed: 3, epoch: 1, step: 10)
        let draws = (0..<5).map { _ in batcher.batch(rows, random: &later).negatives["item"]! }
        #expect(batcher.batch(rows, random: &first).negatives == batcher.batch(rows, random: &second).negatives)
        #expect(Set(draws).count > 1)
        #expect(batcher.batch(rows).negatives.isEmpty, "batches without a generator draw nothing")
    }

    @Test func aCatalogueTooSmallIsRefusedByName() throws {
        let folder = try TemporaryDataset(schema: exposureSchema(), files: ["train.csv": exposureTrain, "test.csv": exposureTest])
        let dataset = try Dataset.load(folder.directory, cache: .ignore)
        #expect {
            try Batcher(dataset: dataset, split: "train", batchSize: 4, negativeSampling: NegativeSampling(column: "price", count: 1))
        } throws: { "\($0)".contains("price") && "\($0)".contains("vocabulary") }
        #expect {
            try Batcher(dataset: dataset, split: "train", batchSize: 4, negativeSampling: NegativeSampling(column: "item", count: 0))
        } throws: { "\($0)".contains("positive count") }
    }
}
