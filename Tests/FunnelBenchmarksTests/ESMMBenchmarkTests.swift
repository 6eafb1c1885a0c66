import Testing

@testable import FunnelBenchmarks

/// The ESMM benchmark's report: the median of the rounds' ratios.
@Suite struct ESMMBenchmarkTests {
    private func result(_ system: String, train: Double, infer: Double, large: Double?) -> ESMMBenchmark.Result {
        ESMMBenchmark.Result(
            system: system, trainSamplesPerSecond: train, inferenceSamplesPerSecond: infer,
            largeBatchInferenceSamplesPerSecond: large, peakResidentMebibytes: 400, ctrAUC: 0.8, ctcvrAUC: 0.81,
            trainingRows: 10, testRows: 5, threads: 2)
    }

    @Test func medianOfTheRoundsRatios() throws {
        // Training ratios 2.0, 1.5, 3.0 (median 2.0); inference 1.2, 1.6, 1.4 (median 1.4); large 1.5, 2, 1.
        let rounds = [
            [result("Funnel", train: 200, infer: 120, large: 150), result("torch fused", train: 100, infer: 100, large: 100)],
            [result("Funnel", train: 150, infer: 160, large: 200), result("torch fused", train: 100, infer: 100, large: 100)],
            [result("Funnel", train: 300, infer: 140, large: 100), result("torch fused", train: 100, infer: 100, large: 100)],
        ]
        let summary = try #require(ESMMBenchmark.medianRatios(rounds))
        #expect(summary == "median of 3 rounds, Funnel / torch fused: training 2.00× (2.00, 1.50, 3.00), inference 1.40× (1.20, 1.60, 1.40), inference at batches of 8192 1.50×")
        #expect(ESMMBenchmark.medianRatios([[result("Funnel", train: 1, infer: 1, large: nil)]]) == nil)
        // An even count takes the mean of the middle two; a reference without the large batch drops that figure.
        let even = try #require(ESMMBenchmark.medianRatios(Array(rounds.prefix(2)).map { [$0[0], result("torch", train: 100, infer: 100, large: nil)] }))
        #expect(even == "median of 2 rounds, Funnel / torch: training 1.75× (2.00, 1.50), inference 1.40× (1.20, 1.60)")
    }
}
