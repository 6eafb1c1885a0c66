import Foundation
import FunnelData
import FunnelModels
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// The multi-task models (multitask.md §1–§2) train on the AliExpress sample with finite losses
/// and report one AUC per task.
@Suite struct MultiTaskTrainingTests {
    static let aliExpress = Result { try EntireSpaceTrainingTests.converted(.aliExpress) }

    @Test(.needsSharedData, arguments: [ModelKind.sharedBottom, .mmoe, .ple])
    func trainsOnAliExpress(kind: ModelKind) throws {
        var configuration = TrainingConfiguration(data: try Self.aliExpress.get(), model: kind)
        configuration.modelConfiguration = try JSONDecoder().decode(JSONValue.self, from: Data(kind.factory.fixture.configuration!.utf8))
        configuration.epochs = 2
        configuration.batchSize = 16
        configuration.threads = 1
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        let evaluation = try trainer.train()
        #expect(trainer.state.curve.allSatisfy { $0.loss.isFinite }, "\(kind.rawValue)")
        #expect(evaluation.metrics["ctr_auc"] != nil && evaluation.metrics["ctcvr_auc"] != nil)
        #expect(evaluation.primaryMetric == "ctr_auc")
    }
}
