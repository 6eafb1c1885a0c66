import Testing

@testable import FunnelMetrics

@Suite struct BinaryEvaluationTests {
    /// The GAUC oracle of entire-space.md §2 (user C's scores are any two below 0.3).
    @Test func reportsTheSpecOracle() throws {
        let users = ["A", "A", "A", "B", "B", "C", "C", "D", "D", "D", "D"]
        let labels: [Double] = [1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]
        let scores: [Double] = [0.9, 0.2, 0.5, 0.3, 0.6, 0.1, 0.2, 0.8, 0.4, 0.6, 0.1]
        let evaluation = try BinaryEvaluation(scores: scores, labels: labels, groups: users)
        #expect(Swift.abs(evaluation.auc - 22.0 / 28) < 1e-12)
        #expect(Swift.abs(evaluation.groupedAUC[.uniform]!.value - 7.0 / 12) < 1e-12)
        #expect(Swift.abs(evaluation.groupedAUC[.exposures]!.value - 6.0 / 9) < 1e-12)
        #expect(Swift.abs(evaluation.groupedAUC[.clicks]!.value - 0.625) < 1e-12)
        #expect(evaluation.groupedAUC[.uniform]!.groupsDropped == 1)
        #expect(evaluation.logLoss != nil && evaluation.calibration != nil)
        let names = evaluation.values.map(\.name)
        #expect(names.contains("gauc_show") && names.contains("groups_dropped"))
    }

    @Test func unboundedScoresSkipLogLoss() throws {
        let evaluation = try BinaryEvaluation(scores: [-2, 3, 0.5], labels: [0, 1, 0], groups: Optional<[Int]>.none)
        #expect(evaluation.auc == 1)
        #expect(evaluation.logLoss == nil && evaluation.calibration == nil && evaluation.groupedAUC.isEmpty)
    }

    @Test func emptyInputIsAClearError() {
        #expect(throws: MetricError.emptyInput(metric: "AUC")) {
            try BinaryEvaluation(scores: [], labels: [], groups: Optional<[Int]>.none)
        }
    }
}
