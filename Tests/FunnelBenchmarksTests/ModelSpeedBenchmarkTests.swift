import FunnelBenchmarks
import FunnelModels
import Testing

/// `funnel models --bench` measures what it names: a row per model, each with a positive rate,
/// and the table lists them. No timing is asserted (speed is the command's to print, not a
/// test's to judge).
@Suite struct ModelSpeedBenchmarkTests {
    @Test func everyModelGetsARowWithAPositiveRate() throws {
        var options = ModelSpeedBenchmark.Options()
        // One model of each fixture world; `usd` also trains only on its row sampler's rows.
        options.models = [.mlp, .usd]
        options.users = 300
        options.days = 4
        options.batchSize = 128
        options.warmupSteps = 1
        options.steps = 2
        let results = try ModelSpeedBenchmark.run(options)
        #expect(results.map(\.model) == ["mlp", "usd"])
        #expect(results.map(\.world) == ["funnel", "homepage"])
        for result in results {
            #expect(result.samplesPerSecond > 0, "\(result.model)")
            #expect(result.slowestSamplesPerSecond > 0 && result.slowestSamplesPerSecond <= result.fastestSamplesPerSecond)
            #expect(result.rowsPerBatch > 0 && result.rowsPerBatch <= 128 * 2, "\(result.model): \(result.rowsPerBatch) rows per batch")
            #expect(result.timedSteps == options.blocks * 2)
            #expect(result.parameters > 0)
        }
        let table = ModelSpeedBenchmark.table(results, options: options)
        let lines = table.split(separator: "\n")
        #expect(lines.first?.hasPrefix("model") == true)
        #expect(lines.contains { $0.hasPrefix("mlp ") } && lines.contains { $0.hasPrefix("usd ") }, "\(table)")
    }

    /// One step of one model on a small world.
    private func measureOnce(_ model: ModelKind) throws -> [ModelSpeedBenchmark.Result] {
        var options = ModelSpeedBenchmark.Options()
        options.models = [model]
        options.users = 300
        options.batchSize = 64
        options.warmupSteps = 0
        options.steps = 1
        options.blocks = 1
        return try ModelSpeedBenchmark.run(options)
    }

    @Test func aModelThatReadsFilesBesideTheWorldHasThemWritten() throws {
        // FAIR reads the world's semantic IDs, which its fixture writes (the model-zoo test's
        // `prepare`); without them the registry's measurement stopped at FAIR.
        let results = try measureOnce(.fair)
        #expect(results.count == 1 && results[0].model == "fair" && results[0].samplesPerSecond > 0)
    }

    @Test func aModelOutsideTheChosenOnesIsNotMeasured() throws {
        let results = try measureOnce(.logisticRegression)
        #expect(results.count == 1 && results[0].model == "logistic-regression" && results[0].samplesPerSecond > 0)
    }
}
