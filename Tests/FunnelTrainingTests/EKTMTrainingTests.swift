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
    static let world: String = {
        let path = NSTemporaryDirectory() + "funnel-ektm-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try! ScenarioKind.funnel.simulate(users: 300, days: 4, seed: 7, knobs: ["conversionTypes": "3"]).write(to: path)
        return path
    }()

    static let tasks = #"""
        "tasks": [{"name": "ctr", "label": "click"}, {"name": "purchase", "label": "purchase", "chainedOn": "ctr"},
                  {"name": "cart", "label": "add_to_cart", "chainedOn": "ctr"}, {"name": "favourite", "label": "favourite", "chainedOn": "ctr"}]
        """#

    static func configuration(_ kind: ModelKind, _ model: String) throws -> TrainingConfiguration {
        var configuration = TrainingConfiguration(data: world, model: kind)
        configuration.modelConfiguration = try JSONDecoder().decode(JSONValue.self, from: Data(model.utf8))
        return configuration
    }

    /// §4.5: with the transmitter off EKTM is its backbone — through training too, on four
    /// tasks and two threads: the same losses at every step and the same parameters after two
    /// epochs, bit for bit (every gradient summed in the same order).
    @Test func transmitterOffTrainsAsTheBackbone() throws {
        let common = #""embeddingDimensions": 4, "experts": 3, "expertHidden": [16, 8], "towerHidden": [8], "dropout": 0.2, \#(Self.tasks)"#
        func trainer(_ kind: ModelKind, _ model: String) throws -> Trainer {
            var configuration = try Self.configuration(kind, model)
            configuration.epochs = 2
            configuration.batchSize = 128
            configuration.threads = 2
            let trainer = try Trainer(configuration: configuration)
            trainer.logsEvaluations = false
            return trainer
        }
        let left = try trainer(.mmoe, "{\(common)}")
        let right = try trainer(.ektm, #"{"backbone": "mmoe", "transmitter": false, \#(common)}"#)
        let (expected, actual) = (try left.train(), try right.train())
        let (expectedLosses, losses) = (left.state.curve.map(\.loss), right.state.curve.map(\.loss))
        let firstDifference = expectedLosses.indices.first { $0 < losses.count && expectedLosses[$0] != losses[$0] }
        #expect(losses.count == expectedLosses.count && firstDifference == nil, "losses differ from step \(firstDifference.map { $0 + 1 } ?? 0)")
        let parameters = Dictionary(uniqueKeysWithValues: right.model.namedParameters().map { ($0.name, $0.parameter.scalars) })
        let differing = left.model.namedParameters().filter { parameters[$0.name] != $0.parameter.scalars }.map(\.name)
        #expect(differing.isEmpty, "parameters differ: \(differing)")
        #expect(expected.metrics["favourite_auc"] == actual.metrics["favourite_auc"])
    }

    @Test func trainsOnThreeConversionTypes() throws {
        var configuration = try Self.configuration(.ektm, #"""
            {"embeddingDimensions": 4, "backbone": "mmoe", "experts": 3, "expertHidden": [16, 8], "towerHidden": [8],
             "tasks": [{"name": "ctr", "label": "click"}, {"name": "purchase", "label": "purchase"},
                       {"name": "cart", "label": "add_to_cart"}, {"name": "favourite", "label": "favourite"}]}
            """#)
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
