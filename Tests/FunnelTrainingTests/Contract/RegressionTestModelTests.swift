import Foundation
import FunnelData
import FunnelModels
import FunnelSimulation
import Testing

@testable import FunnelTraining

/// The regression test model: its `[batch]` values are scored as a regression (MAE, RMSE,
/// XAUC, XGAUC, relevance AUC), and it trains through the runner.
@Suite struct RegressionTestModelTests {
    @Test func regressionMetricsOfATrainedModel() throws {
        let folder = NSTemporaryDirectory() + "funnel-regression-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ScenarioKind.watchtime.simulate(users: 400, days: 5, seed: 4).write(to: folder)
        let dataset = try Dataset.load(folder)
        var configuration = TrainingConfiguration(data: folder, model: .mlp)
        configuration.epochs = 3
        configuration.batchSize = 256
        configuration.optimizer.learningRate = 0.5
        let trainer = try Trainer(configuration: configuration, dataset: dataset, model: RegressionTestModel(dataset: dataset, seed: 1))
        trainer.logsEvaluations = false
        let evaluation = try trainer.train()
        #expect(evaluation.primaryMetric == "xauc")
        let errors = zip(evaluation.scores, evaluation.labels).map { $0 - $1 }
        let mae = errors.map(abs).reduce(0, +) / Double(errors.count)
        let rmse = (errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count)).squareRoot()
        #expect(abs(try #require(evaluation.metrics["mae"]) - mae) < 1e-9)
        #expect(abs(try #require(evaluation.metrics["rmse"]) - rmse) < 1e-9)
        // Per-video values order videos by their mean watch time better than chance.
        #expect(try #require(evaluation.metrics["xauc"]) > 0.52, "\(evaluation.metrics)")
        #expect(evaluation.metrics["xgauc"] != nil && evaluation.metrics["relevance_auc"] != nil)
        #expect(evaluation.protocolDescription.contains { $0.contains("MAE, RMSE, XAUC") && $0.contains("> 20.0") })
    }
}
