import Testing

@testable import FunnelBenchmarks
import FunnelTensor

/// `bench sasrec` end to end on a tiny configuration (no reference): every figure of the report
/// is finite, and the planted process keeps its ids in range.
@Suite struct SASRecBenchmarkTests {
    @Test(arguments: SASRecBenchmark.Loss.allCases)
    func tinyRunReportsFiniteFigures(loss: SASRecBenchmark.Loss) throws {
        var options = SASRecBenchmark.Options()
        options.losses = [loss]
        options.itemCount = 200
        options.length = 8
        options.dimensions = 8
        options.trainSequences = 64
        options.testSequences = 20
        options.batchSize = 8
        options.warmupBatches = 1
        options.segmentBatches = 2
        options.threads = 1
        let results = try SASRecBenchmark.run(options)
        let result = try #require(results.first)
        #expect(results.count == 1 && result.loss == loss)
        for value in [result.trainMedian, result.trainMinimum, result.trainMaximum, result.inference, result.hitRate10,
                      result.ndcg10, result.peakResidentMebibytes] {
            #expect(value.isFinite)
        }
        #expect(result.trainMinimum <= result.trainMedian && result.trainMedian <= result.trainMaximum)
        #expect((0...1).contains(result.hitRate10) && result.ndcg10 <= result.hitRate10)
        #expect(result.trainedSequences == 7 * 8)
        #expect(SASRecBenchmark.table(results).contains(loss.rawValue))
    }

    /// Options the run cannot use are refused before any work, naming the option.
    @Test func unusableOptionsAreRefusedByName() {
        func refusal(_ change: (inout SASRecBenchmark.Options) -> Void) -> BenchmarkOptionError? {
            optionRefusal(SASRecBenchmark.Options(), { try $0.validate() }, change)
        }
        #expect(refusal { _ in } == nil)
        #expect(refusal { $0.threads = 0 }?.option == "--threads")
        #expect(refusal { $0.itemCount = 9 }?.option == "--items")
        #expect(refusal { $0.testSequences = 0 }?.option == "--test-sequences")
        #expect(refusal { $0.segmentBatches = -1 }?.option == "--segment-batches")
        // 195 batches of 256 cannot hold 10 warm-up batches and 3 segments of 100.
        let tooShort = refusal { $0.segmentBatches = 100 }
        #expect(tooShort?.option == "--train-sequences" && tooShort?.expected.hasPrefix("at least 79360") == true, "\(String(describing: tooShort))")
        #expect(refusal { $0.segmentBatches = 61 } == nil)
        // Too few sequences for one batch per segment.
        #expect(refusal { $0.trainSequences = 3_000 }?.option == "--train-sequences")
        #expect(refusal { $0.trainSequences = 3_328 } == nil)
    }

    @Test func plantedSequencesStayInTheCatalogue() {
        var generator = RandomGenerator(seed: 1)
        let process = PlantedSequences.Process(itemCount: 50, generator: &generator)
        let sequences = process.draw(count: 30, length: 5, generator: &generator)
        #expect(sequences.items.count == 30 * 6)
        #expect(sequences.items.allSatisfy { (1...50).contains($0) })
        let batch = sequences.batch(2..<5, paddingID: 51)
        #expect(batch.ids["target"] == [sequences.items[17], sequences.items[23], sequences.items[29]])
        #expect(batch.sequences["items"]?.ids.count == 15)
    }
}
