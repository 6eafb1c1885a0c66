import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// The debiased MFs on Coat through the runner: the missing-at-random sample leaves the
/// evaluation, the binary task reports per-user NDCG@5 and Recall@5 as ``GroupedTopK``
/// computes them from the scored rows, and the rating task reports MSE = RMSE².
@Suite struct CoatTrainingTests {
    static let coat = Result {
        let output = NSTemporaryDirectory() + "funnel-coat-\(UUID().uuidString)"
        try DatasetConverter.convert(.coat, source: try SharedData.folder(named: "coat"), output: output)
        return output
    }

    static func train(_ kind: ModelKind, configuration json: String) throws -> Evaluation {
        var configuration = TrainingConfiguration(data: try coat.get(), model: kind)
        configuration.modelConfiguration = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        configuration.epochs = 2
        configuration.batchSize = 512
        configuration.seed = 3
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        return try trainer.train()
    }

    @Test(.needsSharedData) func binaryTaskRanksEachUsersRandomItems() throws {
        let evaluation = try Self.train(.matrixFactorisation, configuration: #"{"label": "liked", "loss": "logistic", "weighting": "ips-naive-bayes"}"#)
        // 5% of the 4,640 random test ratings estimate P(Y = y) and are not scored.
        #expect(evaluation.metrics["rows"] == 4408)
        #expect(evaluation.protocolDescription.contains { $0.hasPrefix("excluded: 232 rows of split 'test'") })
        let groups = try #require(evaluation.groups)
        let expected = try GroupedTopK(scores: evaluation.scores, labels: evaluation.labels, groups: groups, cutoffs: [5])
        #expect(evaluation.metrics["ndcg@5"] == expected.ndcg[5])
        #expect(evaluation.metrics["recall@5"] == expected.recall[5])
        #expect(evaluation.metrics["users_without_positives"] == Double(expected.usersWithoutPositives))
        #expect(expected.usersWithoutPositives > 0 && expected.users + expected.usersWithoutPositives == 290)
        #expect(evaluation.metricOrder.contains("ndcg@5") && !evaluation.metricOrder.contains("users_without_positives"))
    }

    @Test(.needsSharedData) func ratingTaskReportsMSE() throws {
        let evaluation = try Self.train(.mfDRJL, configuration: #"{"sampledCells": 2}"#)
        let rmse = try #require(evaluation.metrics["rmse"])
        #expect(abs(try #require(evaluation.metrics["mse"]) - rmse * rmse) < 1e-9)
        #expect(evaluation.metrics["rows"] == 4408)
    }
}
