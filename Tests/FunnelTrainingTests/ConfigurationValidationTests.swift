import Foundation
import FunnelModels
import FunnelTraining
import Testing

/// The corpus of bad training and experiment configurations: each refused before any work,
/// the message naming the field's path.
@Suite struct ConfigurationValidationTests {
    /// The message of decoding and validating `json` (a training configuration), or "accepted".
    static func refusal(_ json: String) -> String {
        do {
            try TrainingConfiguration.decode(Data(json.utf8)).validate()
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    /// Each bad value, the path its refusal must name.
    static let corpus: [(json: String, expected: String)] = [
        (#""batchSize": 0"#, "field 'batchSize': 0; expected a batch size >= 1"),
        (#""batchSize": -5"#, "field 'batchSize': -5"),
        (#""epochs": 0"#, "field 'epochs': 0; expected a number of epochs >= 1"),
        (#""epochs": -1"#, "field 'epochs': -1"),
        (#""threads": 0"#, "field 'threads': 0; expected a number of threads in 1...256"),
        (#""threads": 100000"#, "field 'threads': 100000"),
        (#""checkpointEvery": 0"#, "field 'checkpointEvery': 0"),
        (#""evaluateEvery": -1"#, "field 'evaluateEvery': -1"),
        (#""optimizer": {"learningRate": -0.1}"#, "field 'optimizer.learningRate': -0.1"),
        (#""optimizer": {"learningRate": 0}"#, "field 'optimizer.learningRate': 0.0"),
        (#""optimizer": {"learningRate": 1e39}"#, "field 'optimizer.learningRate': expected a number within ±3.4e38, found 1e+39"),
        (#""optimizer": {"weightDecay": -1}"#, "field 'optimizer.weightDecay': -1.0"),
        (#""optimizer": {"clipNorm": -1}"#, "field 'optimizer.clipNorm': -1.0"),
        (#""optimizer": {"groups": [{"parameters": ["*"], "learningRate": -1}]}"#, "field 'optimizer.groups[0].learningRate': -1.0"),
        (#""optimizer": {"groups": [{"parameters": ["*"], "weightDecay": -2}]}"#, "field 'optimizer.groups[0].weightDecay': -2.0"),
        (#""optimizer": {"schedule": {"kind": "warmup-cosine", "warmupSteps": 5, "minimumFactor": 2}}"#, "field 'optimizer.schedule.minimumFactor': 2.0"),
        (#""optimizer": {"schedule": {"kind": "step", "every": 0, "factor": 0.5}}"#, "field 'optimizer.schedule.every': 0"),
        (#""optimizer": {"kind": "adamm"}"#, "field 'optimizer.kind': 'adamm' is not an optimizer kind (expected one of adam, adamw, adagrad, adagrad-decay-v2, sgd)"),
        (#""seed": -1"#, "field 'seed': expected a non-negative integer, found -1"),
        (#""epochs": 2.5"#, "field 'epochs': expected an integer within ±9.2e18, found 2.5"),
        (#""multiTaskUpdate": "mean""#, "field 'multiTaskUpdate': 'mean' is not one of: sum, pub"),
        (#""validation": {"carving": "day"}"#, "field 'validation.carving': 'day' is not one of: random, time"),
        (#""validation": {"fraction": 1.5}"#, "field 'validation.fraction': 1.5"),
        (#""validation": {"split": "test"}"#, "field 'validation.split': 'test' is the evaluation split"),
        (#""validation": {"fraction": 0.1}, "earlyStopping": {"patience": 0}"#, "field 'earlyStopping.patience': 0"),
        (#""earlyStopping": {}"#, "field 'earlyStopping': needs 'validation'"),
        (#""epochs": 1, "epochs": 2"#, "field 'epochs': the key 'epochs' appears twice in one object"),
        (#""optimizer": {"kind": "adam", "kind": "sgd"}"#, "field 'optimizer.kind': the key 'kind' appears twice"),
        (#""checkpointDirectory": """#, "field 'checkpointDirectory': ''"),
    ]

    @Test func everyBadValueIsRefusedByItsField() {
        for (fields, expected) in Self.corpus {
            let message = Self.refusal(#"{"data": "x", "model": "mlp", "#+fields+"}")
            #expect(message.contains(expected), "\(fields): \(message)")
        }
        #expect(Self.refusal(#"{"data": "x", "model": "mlpp"}"#).contains("field 'model': 'mlpp' is not one of: logistic-regression, mlp,"))
        #expect(Self.refusal(#"{"data": "x", "model": "mlp",}"#).contains("is not valid JSON: line 1, column 30"))
        #expect(Self.refusal("{\"data\": \"x\",\n \"model\": \"mlp\"\n \"epochs\": 2}").contains("line 3, column 2"))
        #expect(Self.refusal(#"{"data": "x", "model": "mlp"}"#) == "accepted")
    }

    @Test func filesAreNamedInPlainWords() throws {
        let missing = RunnerFixture.temporaryDirectory() + "/none.json"
        #expect { try TrainingConfiguration.read(missing) } throws: { "\($0)" == "\(missing): cannot be read: no such file" }
        let folder = RunnerFixture.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect { try TrainingConfiguration.read(folder) } throws: { "\($0)".contains("it is a folder") && !"\($0)".contains("NSCocoaErrorDomain") }
        let file = folder + "/bad.json"
        try Data(#"{"training": {"data": "x", "model": "mlp", "seed": -1}, "models": ["mlp"]}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect { try ExperimentConfiguration.read(file) } throws: { "\($0)" == "\(file): field 'training.seed': expected a non-negative integer, found -1" }
        try Data(#"{"training": {"data": "x", "model": "mlp"}, "models": ["mlp"], "seeds": [1], "seeds": [2]}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect { try ExperimentConfiguration.read(file) } throws: { "\($0)".contains("field 'seeds': the key 'seeds' appears twice") }
        try Data(#"{"training": {"data": "x", "model": "mlp", "epochs": 1, "epochs": 1}, "models": ["mlp"]}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect { try ExperimentConfiguration.read(file) } throws: { "\($0)".contains("field 'training.epochs': the key 'epochs' appears twice") }
    }

    @Test func experimentsAreRefusedBeforeTheFirstRun() throws {
        func refusal(_ change: (inout ExperimentConfiguration) -> Void) -> String {
            var configuration = ExperimentConfiguration(
                training: RunnerFixture.configuration(), models: [ExperimentModel(model: .logisticRegression), ExperimentModel(model: .mlp)])
            configuration.seeds = [1]
            change(&configuration)
            var trained = false
            do {
                _ = try ExperimentRunner.run(configuration) { _ in trained = true }
                return "accepted"
            } catch {
                return trained ? "refused after training: \(error)" : "\(error)"
            }
        }
        #expect(refusal { $0.models = [] }.contains("field 'models': [] has no model"))
        #expect(refusal { $0.seeds = [] }.contains("field 'seeds': [] has no seed"))
        #expect(refusal { $0.seeds = [3, 3] }.contains("field 'seeds[1]': 3 repeats seeds[0]"))
        #expect(refusal { $0.models = [ExperimentModel(model: .mlp), ExperimentModel(model: .mlp)] }.contains("field 'models[1].name': 'mlp' already names models[0]"))
        #expect(refusal { $0.metrics = ["auc", "acu"] }.hasPrefix("field 'metrics[1]': no model's evaluation produces 'acu' (expected one of: auc,"))
        #expect(refusal { $0.training.epochs = 0 }.contains("field 'training.epochs': 0"))
        #expect(refusal { $0.models[1].configuration = .object(["dropout": .number(1)]) }
            .contains("models[1] ('mlp'): field 'modelConfiguration.dropout': 1.0"))
        #expect(refusal { $0.models[1].training = .object(["epochs": .number(0)]) }.contains("field 'models[1].training.epochs': 0"))
        #expect(refusal { $0.models[1].training = .object(["optimizer": .object(["rate": .number(1)])]) }
            .contains("unknown field 'models[1].training.optimizer.rate'"))
        #expect(refusal { $0.models[0].training = .object(["seed": .number(3)]) }.contains("field 'models[0].training.seed': set by the experiment"))
        #expect(refusal { $0.models[0].training = .string("pub") }.contains("field 'models[0].training': expected an object"))
        #expect(refusal { $0.models[1].grid = ParameterGrid(values: ["dropout": [.number(0.1)]]) }
            .contains("field 'models[1].grid': a grid is chosen on validation rows only"))
        #expect(refusal {
            $0.training.validation = ValidationConfiguration(fraction: 0.2)
            $0.models[1].grid = ParameterGrid(values: ["dropout": [.number(0.1), .number(1)]])
        }.contains("models[1] ('mlp') with grid values dropout 1: field 'modelConfiguration.dropout'"))
    }

    @Test func trainerRefusesDatasetMismatchesBeforeTraining() {
        func refusal(_ change: (inout TrainingConfiguration) -> Void) -> String {
            var configuration = RunnerFixture.configuration()
            change(&configuration)
            do {
                _ = try Trainer(configuration: configuration)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal { $0.truthColumn = "click" }.contains("field 'truthColumn': 'click' is not a truth column of dataset"))
        #expect(refusal { $0.evaluationSplit = "tset" }.contains("field 'evaluationSplit': dataset"))
        #expect(refusal { $0.groupColumn = "nobody" }.contains("field 'groupColumn': dataset"))
        let earlyStopping = refusal {
            $0.validation = ValidationConfiguration(fraction: 0.1)
            var rule = EarlyStopping()
            rule.metric = "ndcg@10"
            $0.earlyStopping = rule
        }
        #expect(earlyStopping.contains("field 'earlyStopping.metric': the evaluation produces no metric 'ndcg@10' (expected one of: auc,"))
        #expect(refusal { _ in } == "accepted")
    }

    /// The derived names hold every metric an evaluation produces.
    @Test func metricNamesCoverTheEvaluation() throws {
        let trainer = try Trainer(configuration: RunnerFixture.configuration())
        let evaluation = try trainer.evaluate()
        let names = trainer.metricNames
        #expect(Set(evaluation.metrics.keys).isSubset(of: names.all), "\(evaluation.metrics.keys.sorted()) vs \(names.all)")
        #expect(Set(evaluation.metricOrder).isSubset(of: names.compared))
    }

    @Test func resumeRefusesAChangedField() throws {
        let directory = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = RunnerFixture.configuration(checkpoints: directory)
        configuration.epochs = 1
        try Trainer(configuration: configuration).train()
        configuration.optimizer.learningRate = 0.5
        let trainer = try Trainer(configuration: configuration)
        #expect { try trainer.resume() } throws: {
            "\($0)".contains("field 'optimizer.learningRate' was 0.05 in the checkpoint's run and is 0.5 now")
        }
        configuration.optimizer.learningRate = 0.05
        configuration.epochs = 2
        configuration.threads = 1
        #expect(try Trainer(configuration: configuration).resume())
    }
}
