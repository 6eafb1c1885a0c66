import Foundation
import FunnelModels
import Testing

@testable import FunnelTraining

@Suite struct ExperimentRunnerTests {
    /// Two models × three seeds on a small simulated set: the table, JSON, Markdown and charts.
    @Test func producesEveryReport() throws {
        var training = RunnerFixture.configuration()
        training.epochs = 1
        var configuration = ExperimentConfiguration(training: training, models: [ExperimentModel(model: .logisticRegression), ExperimentModel(model: .mlp)])
        configuration.seeds = [1, 2, 3]
        let result = try ExperimentRunner.run(configuration)
        #expect(result.runs.count == 6)
        #expect(result.metricNames.prefix(4) == ["auc", "gauc_avg", "gauc_show", "gauc_click"])
        #expect(result.metricNames.contains("truth_auc"))
        #expect(result.protocolDescription.contains { $0.contains("groups dropped") })
        // Different seeds give different models.
        let aucs = result.runs.filter { $0.model == "mlp" }.map { $0.metrics["auc"]! }
        #expect(Set(aucs).count > 1)
        let output = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let files = try ExperimentReport.write(result, to: output)
        let names = Set(files.map { URL(fileURLWithPath: $0).lastPathComponent })
        #expect(names.isSuperset(of: ["experiment.json", "experiment.md", "experiment.txt", "training-curves.svg", "roc.svg", "metric-auc.svg"]))
        #expect(ExperimentReport.table(result).contains("±"))
    }

    /// A model's `training` fields change its runs only, merged over the experiment's block
    /// field by field (the optimizer keeps its kind when only its rate changes).
    @Test func modelsOverrideTrainingSettings() throws {
        let path = RunnerFixture.temporaryDirectory() + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"""
            {"training": {"data": "x", "model": "mlp", "epochs": 2, "optimizer": {"kind": "adam", "learningRate": 0.01}},
             "models": ["mlp", {"name": "slow", "model": "mlp", "training": {"epochs": 3, "optimizer": {"learningRate": 0.001}}}]}
            """#.utf8).write(to: URL(fileURLWithPath: path))
        let configuration = try ExperimentConfiguration.read(path)
        let plain = try configuration.run(configuration.models[0], seed: 7)
        let slow = try configuration.run(configuration.models[1], seed: 7)
        #expect(plain.epochs == 2 && plain.optimizer.learningRate == 0.01 && plain.seed == 7)
        #expect(slow.epochs == 3 && slow.optimizer.learningRate == 0.001 && slow.optimizer.kind == plain.optimizer.kind && slow.seed == 7)
    }

    @Test func configurationFileIsReadStrictly() throws {
        let path = RunnerFixture.temporaryDirectory() + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"training": {"data": "x", "model": "mlp"}, "models": ["mlp"], "seed": [1]}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try ExperimentConfiguration.read(path)
        } throws: { error in
            "\(error)".contains("unknown field 'seed'")
        }
        try Data(#"{"training": {"data": "x", "model": "mlp"}, "models": ["mlp", "logistic-regression"], "seeds": [4, 5]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let configuration = try ExperimentConfiguration.read(path)
        #expect(configuration.seeds == [4, 5] && configuration.models.map(\.model) == [.mlp, .logisticRegression])
        // Named variants carry their own configuration.
        let variants = #"{"training": {"data": "x", "model": "mlp"}, "models": ["mlp", {"name": "wide", "model": "mlp", "configuration": {"hiddenDimensions": [128]}}]}"#
        try Data(variants.utf8).write(to: URL(fileURLWithPath: path))
        let named = try ExperimentConfiguration.read(path)
        #expect(named.models.map(\.name) == ["mlp", "wide"] && named.models[1].configuration != nil)
        try Data(#"{"training": {"data": "x", "model": "mlp"}, "models": [{"model": "mlp", "nmae": "x"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect {
            try ExperimentConfiguration.read(path)
        } throws: { error in
            "\(error)".contains("unknown field 'models[0].nmae'")
        }
    }
}
