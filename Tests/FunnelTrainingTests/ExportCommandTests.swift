import Foundation
import FunnelData
import FunnelModels
import FunnelSimulation
import Testing

@testable import FunnelTraining

/// `funnel export onnx`: a trained checkpoint becomes an ONNX file and its vocabulary file, the
/// inputs and outputs are printed, and an unsupported model is refused by name.
@Suite struct ExportCommandTests {
    static func checkpoint(_ kind: ModelKind) throws -> (data: String, checkpoint: String) {
        let folder = NSTemporaryDirectory() + "funnel-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        try ScenarioKind.funnel.simulate(users: 150, days: 3, seed: 3).write(to: folder + "/data")
        var configuration = TrainingConfiguration(data: folder + "/data", model: kind)
        configuration.batchSize = 256
        configuration.threads = 1
        configuration.checkpointDirectory = folder + "/run"
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        _ = try trainer.train()
        return (folder, folder + "/run")
    }

    @Test func exportsAnONNXFileAndItsVocabulary() throws {
        let (folder, checkpoint) = try Self.checkpoint(.logisticRegression)
        let run = try runFunnel(["export", "onnx", "--checkpoint", checkpoint, "--out", folder + "/lr.onnx"])
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.contains("inputs:") && run.output.contains("click: float [N]"), "\(run.output)")
        #expect(FileManager.default.fileExists(atPath: folder + "/lr.onnx"))
        #expect(FileManager.default.fileExists(atPath: folder + "/lr.vocabulary.json"))
    }

    @Test func refusesAnUnsupportedModel() throws {
        let (folder, checkpoint) = try Self.checkpoint(.fm)
        let run = try runFunnel(["export", "onnx", "--checkpoint", checkpoint, "--out", folder + "/fm.onnx"])
        #expect(run.status != 0)
        #expect(run.errors.contains("model 'fm'") && run.errors.contains("supported kinds:"), "\(run.errors)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/fm.onnx"))
    }
}
