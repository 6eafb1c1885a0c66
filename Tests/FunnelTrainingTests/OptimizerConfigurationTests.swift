import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor
import Testing

@testable import FunnelTraining

/// Named parameters shaped like a small recommender's, and configurations read as a training
/// configuration's `optimizer` field.
private enum Fixture {
    static func parameters() -> [(name: String, parameter: Tensor)] {
        [
            (
                "network.inputs.0.embedding.table",
                Tensor(shape: [4, 2], repeating: 0.5, requiresGradient: true)
            ),
            (
                "network.inputs.1.embedding.table",
                Tensor(shape: [3, 2], repeating: 0.5, requiresGradient: true)
            ),
            ("items.table", Tensor(shape: [5, 2], repeating: 0.5, requiresGradient: true)),
            (
                "tower.layers.0.weight",
                Tensor(shape: [4, 2], repeating: 0.5, requiresGradient: true)
            ),
            ("tower.layers.0.bias", Tensor(shape: [2], repeating: 0, requiresGradient: true)),
        ]
    }

    static func configuration(_ optimizer: String) throws -> OptimizerConfiguration {
        try TrainingConfiguration.decode(
            Data(#"{"data": "d", "model": "mlp", "optimizer": \#(optimizer)}"#.utf8)
        ).optimizer
    }

    /// The message of the refusal of `optimizer` (decoding or building), or "" when accepted.
    static func refusal(_ optimizer: String, totalSteps: Int = 100) -> String {
        do {
            _ = try configuration(optimizer).makeOptimizer(
                for: parameters(), totalSteps: totalSteps)
            return ""
        } catch {
            return "\(error)"
        }
    }
}

@Suite struct OptimizerConfigurationTests {
    @Test func existingConfigurationsStillRead() throws {
        let json = #"{"kind": "adam", "learningRate": 0.001}"#
        let strict = try Fixture.configuration(json)
        let plain = try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(json.utf8))
        #expect(strict == OptimizerConfiguration() && plain == OptimizerConfiguration())
        let groups = try strict.makeOptimizer(for: Fixture.parameters(), totalSteps: 10)
        #expect(groups.groups.map(\.name) == ["default"])
        #expect(groups.groups[0].optimizer is Adam && groups.groups[0].optimizer.names.count == 5)
    }

    @Test func groupsInheritTheTopLevelAndTheRestFormTheDefaultGroup() throws {
        let configuration = try Fixture.configuration(
            #"""
            {"kind": "adam", "learningRate": 0.001, "schedule": {"kind": "warmup-cosine", "warmupSteps": 10, "minimumFactor": 0.1},
             "groups": [{"name": "embeddings", "parameters": ["*embedding*", "items.table"], "kind": "adagrad",
                         "learningRate": 0.01, "schedule": {"kind": "constant"}},
                        {"parameters": ["tower.*.bias"], "weightDecay": 0.5}]}
            """#)
        let encoded = try JSONEncoder().encode(
            TrainingConfiguration(data: "d", model: .mlp).with(optimizer: configuration))
        #expect(
            try TrainingConfiguration.decode(encoded).optimizer == configuration,
            "round trip through strict JSON")
        let groups = try configuration.makeOptimizer(for: Fixture.parameters(), totalSteps: 200)
        #expect(groups.groups.map(\.name) == ["embeddings", "group1", "default"])
        #expect(
            groups.groups.map { $0.optimizer.names } == [
                [
                    "network.inputs.0.embedding.table", "network.inputs.1.embedding.table",
                    "items.table",
                ],
                ["tower.layers.0.bias"], ["tower.layers.0.weight"],
            ])
        #expect(groups.groups[0].optimizer is Adagrad && groups.groups[0].baseLearningRate == 0.01)
        #expect(groups.groups[0].schedule == .constant)
        let bias = try #require(groups.groups[1].optimizer as? Adam)
        #expect(bias.learningRate == 0.001 && bias.weightDecay == 0.5)
        #expect(
            groups.groups[1].schedule
                == .warmupCosine(warmupSteps: 10, totalSteps: 200, minimumFactor: 0.1))
        #expect(groups.groups[2].schedule == groups.groups[1].schedule)
    }

    @Test func patternsMatchWholeModulePaths() {
        let matches = ParameterGroupConfiguration.matches
        #expect(matches("*embedding*", "network.inputs.0.embedding.table"))
        #expect(matches("items.table", "items.table") && !matches("items.table", "items.tables"))
        #expect(
            matches("tower.*.weight", "tower.layers.1.weight")
                && !matches("tower.*.weight", "tower.layers.1.bias"))
        #expect(matches("*", "a.b") && matches("a*b*c", "abbbc") && !matches("a*b*c", "abcb"))
        #expect(
            ParameterGroupConfiguration.isPattern("tower-1.*_x")
                && !ParameterGroupConfiguration.isPattern(""))
    }

    @Test(arguments: [
        (
            #"{"groups": [{"parameters": ["*embedding*", "tower/weight"]}]}"#,
            "field 'optimizer.groups[0].parameters[1]': 'tower/weight' is not a parameter pattern (letters, digits, '_', '.', '-', '*')"
        ),
        (
            #"{"groups": [{"parameters": ["*embeding*"]}]}"#,
            "field 'optimizer.groups[0].parameters[0]': '*embeding*' matches no parameter (expected a pattern matching "
                + "parameters such as 'network.inputs.0.embedding.table', 'network.inputs.1.embedding.table', 'items.table', "
                + "'tower.layers.0.weight', 'tower.layers.0.bias')"
        ),
        (
            #"{"groups": [{"name": "embeddings", "parameters": ["*.table"]}, {"name": "items", "parameters": ["items.*"]}]}"#,
            "field 'optimizer.groups[1].parameters[0]': 'items.*' matches parameter 'items.table', already in group "
                + "'embeddings' (optimizer.groups[0]); expected it in one group only, not also in 'items'"
        ),
        (
            #"{"groups": [{"parameters": ["items.table"], "kind": "adamax"}]}"#,
            "field 'optimizer.groups[0].kind': 'adamax' is not an optimizer kind (expected one of adam, adamw, adagrad, adagrad-decay-v2, sgd)"
        ),
        (
            #"{"schedule": {"kind": "linear"}}"#,
            "field 'optimizer.schedule.kind': 'linear' is not a schedule kind (expected one of constant, step, warmup-cosine)"
        ),
        (
            #"{"learningRate": 0}"#,
            "field 'optimizer.learningRate': 0.0 is not a learning rate (expected a number > 0)"
        ),
        (
            #"{"groups": [{"parameters": ["items.table"], "learningRate": -0.1}]}"#,
            "field 'optimizer.groups[0].learningRate': -0.1 is not a learning rate (expected a number > 0)"
        ),
        (
            #"{"schedule": {"kind": "step", "every": 0, "factor": 0.5}}"#,
            "field 'optimizer.schedule.every': 0 is not a number of steps (expected > 0)"
        ),
        (
            #"{"groups": [{"parameters": ["items.table"], "schedule": {"kind": "warmup-cosine", "warmupSteps": 200, "minimumFactor": 0}}]}"#,
            "field 'optimizer.groups[0].schedule.warmupSteps': 200 exceeds the run's total steps (expected at most 100)"
        ),
        (
            #"{"schedule": {"kind": "warmup-cosine", "warmupSteps": 20, "totalSteps": 10, "minimumFactor": 0}}"#,
            "field 'optimizer.schedule.warmupSteps': 20 exceeds the schedule's totalSteps (expected at most 10)"
        ),
        (
            #"{"groups": [{"name": "a", "parameters": ["items.table"]}, {"name": "a", "parameters": ["tower.*"]}]}"#,
            "field 'optimizer.groups[1].name': 'a' already names optimizer.groups[0] (expected a distinct name)"
        ),
        (
            #"{"groups": [{"name": "default", "parameters": ["items.table"]}]}"#,
            "field 'optimizer.groups[0].name': 'default' names the group of the 4 parameters no group matches "
                + "(expected another name, or patterns matching every parameter)"
        ),
        (
            #"{"groups": [{"name": "x/y", "parameters": ["items.table"]}]}"#,
            "field 'optimizer.groups[0].name': 'x/y' is not a group name (letters, digits, '_', '.', '-')"
        ),
        (
            #"{"groups": [{"parameters": ["items.table"], "learningrate": 0.1}]}"#,
            "unknown field 'optimizer.groups[0].learningrate'"
        ),
        (
            #"{"groups": [{"parameters": []}]}"#,
            "field 'optimizer.groups[0].parameters': [] has no pattern (expected at least one parameter pattern)"
        ),
    ])
    func refusalsNameTheField(optimizer: String, message: String) {
        #expect(Fixture.refusal(optimizer) == message)
    }
}

/// A BASE-like configuration (Adagrad on the embedding tables, Adam on the rest) over a real
/// model's parameters, and a run that checkpoints its groups.
@Suite struct OptimizerConfigurationModelTests {
    static let folder: String = {
        let path = NSTemporaryDirectory() + "funnel-optimizer-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try! ScenarioKind.funnel.simulate(users: 300, days: 4, seed: 3).write(to: path)
        return path
    }()

    static let baseLike = #"""
        {"kind": "adam", "learningRate": 0.001,
         "groups": [{"name": "embeddings", "parameters": ["*embedding*"], "kind": "adagrad", "learningRate": 0.01}]}
        """#

    @Test func everyParameterOfAModelLandsInExactlyOneGroup() throws {
        let model = try ModelKind.mlp.make(
            dataset: try Dataset.load(Self.folder), configuration: nil, seed: 1)
        let named = model.namedParameters()
        let groups = try Fixture.configuration(Self.baseLike).makeOptimizer(
            for: named, totalSteps: 10)
        #expect(groups.groups.map(\.name) == ["embeddings", "default"])
        #expect(groups.groups[0].optimizer is Adagrad && groups.groups[1].optimizer is Adam)
        let embeddings = groups.groups[0].optimizer.names
        #expect(!embeddings.isEmpty && embeddings.allSatisfy { $0.contains("embedding") })
        #expect(!groups.groups[1].optimizer.names.contains { $0.contains("embedding") })
        let grouped = groups.namedParameters
        #expect(grouped.map(\.name).sorted() == named.map(\.name).sorted(), "each name once")
        #expect(
            Set(grouped.map { ObjectIdentifier($0.parameter) })
                == Set(named.map { ObjectIdentifier($0.parameter) }))
        #expect(grouped.count == named.count)
    }

    @Test func trainerCheckpointsTheGroupsByName() throws {
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        var configuration = RunnerFixture.configuration(model: .mlp, checkpoints: checkpoints)
        configuration.epochs = 1
        configuration.optimizer = try Fixture.configuration(Self.baseLike)
        configuration.optimizer.schedule = .warmupCosine(
            warmupSteps: 2, totalSteps: 0, minimumFactor: 0.1)
        let trainer = try Trainer(configuration: configuration)
        try trainer.train()
        let state = trainer.optimizer.exportState()
        #expect(
            state.floats.keys.contains {
                $0.hasPrefix("embeddings/accumulators.") && $0.contains("embedding")
            })
        #expect(state.floats.keys.contains { $0.hasPrefix("default/firstMoments.") })
        let resumed = try Trainer(configuration: configuration)
        try Checkpoint.load(
            try #require(Checkpoint.latest(in: checkpoints)), into: resumed.model,
            optimizer: resumed.optimizer)
        #expect(resumed.optimizer.exportState() == state)
        // The schedule spans the run's steps, and the last step ran at its last rate.
        let steps = trainer.state.step
        for group in trainer.optimizer.groups {
            #expect(
                group.schedule
                    == .warmupCosine(warmupSteps: 2, totalSteps: steps, minimumFactor: 0.1))
            #expect(
                group.optimizer.learningRate
                    == group.schedule.learningRate(base: group.baseLearningRate, step: steps - 1))
        }
    }
}

extension TrainingConfiguration {
    fileprivate func with(optimizer: OptimizerConfiguration) -> TrainingConfiguration {
        var copy = self
        copy.optimizer = optimizer
        return copy
    }
}
