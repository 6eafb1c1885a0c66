import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelNN
import FunnelSimulation
import Testing

@testable import FunnelTraining

/// A simulated homepage dataset shared by the runner tests, and a configuration for it.
enum RunnerFixture {
    static let data: String = {
        let path = NSTemporaryDirectory() + "funnel-runner-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Few items, so that each is seen often enough for a small model to learn it.
        try! ScenarioKind.homepage.simulate(users: 3_000, days: 6, seed: 2, knobs: ["items": "200"]).write(to: path)
        return path
    }()

    static func configuration(model: ModelKind = .logisticRegression, checkpoints: String? = nil) -> TrainingConfiguration {
        var configuration = TrainingConfiguration(data: data, model: model)
        configuration.epochs = 2
        configuration.batchSize = 256
        configuration.optimizer.learningRate = 0.05
        configuration.seed = 4
        configuration.checkpointDirectory = checkpoints
        configuration.checkpointEvery = 7
        return configuration
    }

    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "funnel-run-\(UUID().uuidString)"
    }
}

@Suite struct TrainerTests {
    /// train → checkpoint → evaluate → predict, and the predicted scores give the evaluated metrics.
    @Test func endToEnd() throws {
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        let trainer = try Trainer(configuration: RunnerFixture.configuration(checkpoints: checkpoints))
        let trained = try trainer.train()
        #expect(trained.metrics["auc"]! > 0.54 && trained.metrics["truth_correlation"]! > 0.1)
        #expect(trained.metrics["gauc_avg"] != nil && trained.metrics["groups_dropped"] != nil)

        let path = try #require(Checkpoint.latest(in: checkpoints))
        let state = try Checkpoint.readState(path)
        #expect(state.finished && state.step == trainer.state.step)
        let restored = try Trainer(configuration: state.configuration)
        try Checkpoint.load(path, into: restored.model)
        // The truth column is found through the schema (`truthOf: "click"`).
        let evaluated = try Evaluator.evaluate(model: restored.model, dataset: restored.dataset, split: "test")
        #expect(evaluated.metrics["truth_auc"] != nil)
        #expect(evaluated.metrics["auc"] == trained.metrics["auc"])

        let csv = checkpoints + "/scores.csv"
        try Predictor.write(model: restored.model, dataset: restored.dataset, split: "test", to: csv)
        let (table, _) = try Dataset.readTable(path: csv, columns: [
            ColumnSchema(name: "label", kind: .label), ColumnSchema(name: "score", kind: .dense),
        ])
        let auc = try Metrics.auc(
            scores: table.column("score")!.values.floats!.buffer.map(Double.init),
            labels: table.column("label")!.values.floats!.buffer.map(Double.init))
        // The CSV carries Float-rounded scores: ties may shift the AUC in the last digits only.
        #expect(Swift.abs(auc - evaluated.metrics["auc"]!) < 1e-4)
    }

    /// Industrial trainers' split: Adagrad on the embedding tables, Adam on the dense layers.
    @Test func parameterGroupsTrainBASE() throws {
        var configuration = RunnerFixture.configuration(model: .base)
        configuration.epochs = 1
        configuration.modelConfiguration = .object(["longLength": .number(20), "shortLength": .number(5), "retrieved": .number(8)])
        configuration.optimizer.learningRate = 0.01
        configuration.optimizer.groups = [ParameterGroupConfiguration(name: "embeddings", parameters: ["*table*"], kind: .adagrad, learningRate: 0.05)]
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        let evaluation = try trainer.train()
        let groups = trainer.optimizer.groups
        #expect(groups.map(\.name) == ["embeddings", "default"])
        #expect(groups[0].optimizer is Adagrad && groups[1].optimizer is Adam)
        #expect(groups[0].optimizer.names.allSatisfy { $0.contains("table") } && groups[0].optimizer.names.contains("items.table"))
        #expect(groups[1].optimizer.names.allSatisfy { !$0.contains("table") })
        #expect(Set(groups.flatMap(\.optimizer.names)) == Set(trainer.model.namedParameters().map(\.name)))
        #expect(trainer.state.curve.allSatisfy { $0.loss.isFinite })
        #expect(try #require(evaluation.metrics["auc"]) > 0.52)
    }

    @Test func truncatedCheckpointIsRefused() throws {
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        var configuration = RunnerFixture.configuration(checkpoints: checkpoints)
        configuration.epochs = 1
        try Trainer(configuration: configuration).train()
        let path = try #require(Checkpoint.latest(in: checkpoints))
        let file = URL(fileURLWithPath: path + "/model.safetensors")
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count - 5).write(to: file)
        let trainer = try Trainer(configuration: configuration)
        #expect {
            try Checkpoint.load(path, into: trainer.model)
        } throws: { error in
            "\(error)".contains("model.safetensors: damaged") && "\(error)".contains("truncated")
        }
    }

    @Test func configurationErrorsNameTheField() throws {
        func refusal(_ json: String) -> String {
            do {
                _ = try TrainingConfiguration.decode(Data(json.utf8))
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(#"{"data": "x", "model": "mlp", "epoch": 3}"#) == "unknown field 'epoch'")
        #expect(refusal(#"{"data": "x", "model": "mlp", "epochs": "three"}"#) == "field 'epochs': expected Int")
        #expect(refusal(#"{"data": "x", "model": "mlp", "optimizer": {"kind": "adam", "rate": 1}}"#) == "unknown field 'optimizer.rate'")
        #expect(refusal(#"{"data": "x"}"#) == "field 'model' is required")
        #expect(refusal(#"{"data": "x", "model": "mlp", "epochs": 3}"#) == "accepted")
        var configuration = RunnerFixture.configuration()
        configuration.modelConfiguration = .object(["features": .object(["label": .string("purchase")])])
        #expect {
            try Trainer(configuration: configuration)
        } throws: { error in
            "\(error)".contains("no column 'purchase'")
        }
    }
}
