import Testing

@testable import FunnelMetrics

@Suite struct TruthEvaluationTests {
    @Test func labelsFollowTheProbabilities() {
        let probabilities = Array(repeating: 0.3, count: 20_000) + Array(repeating: 0.0, count: 100) + Array(repeating: 1.0, count: 100)
        let labels = TruthEvaluation.drawLabels(probabilities, seed: 4)
        let rate = labels.prefix(20_000).reduce(0, +) / 20_000
        #expect(Swift.abs(rate - 0.3) < 0.01)
        #expect(labels[20_000..<20_100].allSatisfy { $0 == 0 } && labels[20_100...].allSatisfy { $0 == 1 })
        #expect(labels == TruthEvaluation.drawLabels(probabilities, seed: 4))
    }

    @Test func theTruthScoresItsOwnCeiling() throws {
        let probabilities = (0..<2_000).map { Double($0 % 100) / 100 }
        let perfect = try TruthEvaluation(scores: probabilities, trueProbabilities: probabilities)
        #expect(perfect.auc == perfect.truthAUC && perfect.truthAUC > 0.75)
        #expect(Swift.abs(perfect.correlation - 1) < 1e-12)
        let reversed = try TruthEvaluation(scores: probabilities.map { 1 - $0 }, trueProbabilities: probabilities)
        #expect(reversed.auc < 0.3 && Swift.abs(reversed.correlation + 1) < 1e-12)
    }

    @Test func probabilitiesOutsideTheUnitIntervalAreRefused() {
        #expect(throws: MetricError.self) { try TruthEvaluation(scores: [0.5, 0.5], trueProbabilities: [0.2, 1.5]) }
    }
}
