import Foundation
import FunnelData
import FunnelModels
import FunnelSimulation
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// EKTM (multitask.md §4) trains on a small funnel world with three conversion types (purchase,
/// add_to_cart, favourite after click): finite losses and hinges, one AUC per task.
@Suite struct EKTMTrainingTests {
    @Test func trainsOnThreeConversionTypes() throws {
        let path = NSTemporaryDirectory() + "funnel-ektm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ScenarioKind.funnel.simulate(users: 300, days: 4, seed: 7, knobs: ["conversionTypes": "3"]).write(to: path)
        var configuration = TrainingConfiguration(data: path, model: .ektm)
        let model = #"""
            {"embeddingDimensions": 4, "backbone": "mmoe", "experts": 3, "expertHidden": [16, 8], "towerHidden": [8],
             "tasks": [{"name": "ctr", "label": "click"}, {"name": "purchase", "label": "purchase"},
                       {"name": "cart", "label": "add_to_cart"}, {"name": "favourite", "label": "favourite"}]}
            """#
        configuration.modelConfiguration = try JSONDecoder().decode(JSONValue.self, from: Data(model.utf8))
        configuration.epochs = 2
        configuration.batchSize = 256
        configuration.threads = 1
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        let evaluation = try trainer.train()
        #expect(trainer.state.curve.allSatisfy { $0.loss.isFinite })
        for task in ["ctr", "purchase", "cart", "favourite"] {
            let auc = try #require(evaluation.metrics["\(task)_auc"], "\(task): \(evaluation.metrics.keys.sorted())")
            #expect(auc.isFinite && auc > 0 && auc < 1, "\(task) AUC \(auc)")
        }
        #expect(evaluation.primaryMetric == "ctr_auc")
        print("EKTM 3-conversion AUCs:", ["ctr", "purchase", "cart", "favourite"].map { "\($0) \(evaluation.metrics["\($0)_auc"]!)" })
    }
}
