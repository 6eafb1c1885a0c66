import Foundation
import FunnelData
import FunnelModels
import Testing

@testable import FunnelTraining

/// Early stopping and model selection read validation rows — a given split or rows carved from
/// training by seeded random rows or by time — never the evaluation split.
@Suite struct ValidationSplitTests {
    static let dataset = Result { try Dataset.load(RunnerFixture.data) }

    @Test func randomCarvingIsSeededAndLeavesTheRowsOutOfTraining() throws {
        let dataset = try Self.dataset.get()
        let rowCount = try dataset.split("train").rowCount
        let configuration = ValidationConfiguration(fraction: 0.2)
        let first = try ValidationSplit(configuration, dataset: dataset, trainSplit: "train")
        let again = try ValidationSplit(configuration, dataset: dataset, trainSplit: "train")
        let rows = try #require(first.rows)
        #expect(rows == again.rows && first.split == "train")
        #expect(rows.filter { $0 }.count == Int((Double(rowCount) * 0.2).rounded()))
        let requirements = DataRequirements(columns: ["click"])
        let training = try #require(try requirements.trainingRows(dataset: dataset, split: "train", excluding: rows))
        #expect(zip(training, rows).allSatisfy { $0 != $1 })
        var other = configuration
        other.seed = 9
        #expect(try ValidationSplit(other, dataset: dataset, trainSplit: "train").rows != rows)
    }

    /// With `followsRunSeed` each run seed carves its own rows (the carve's own `seed` is then
    /// ignored); without it every run carves the same rows.
    @Test func carvingCanFollowTheRunSeed() throws {
        var configuration = RunnerFixture.configuration()
        configuration.validation = ValidationConfiguration(fraction: 0.2)
        func rows(runSeed: UInt64) throws -> [Bool] {
            configuration.seed = runSeed
            return try #require(try Trainer(configuration: configuration).validation?.rows)
        }
        #expect(try rows(runSeed: 1) == rows(runSeed: 2))
        configuration.validation!.followsRunSeed = true
        configuration.validation!.seed = 5
        #expect(try rows(runSeed: 1) != rows(runSeed: 2))
        var expected = ValidationConfiguration(fraction: 0.2)
        expected.seed = 2
        #expect(try rows(runSeed: 2) == ValidationSplit(expected, dataset: Self.dataset.get(), trainSplit: "train").rows)
    }

    @Test func timeCarvingTakesTheLatestRows() throws {
        let dataset = try Self.dataset.get()
        var configuration = ValidationConfiguration(fraction: 0.25, carving: .time)
        let split = try ValidationSplit(configuration, dataset: dataset, trainSplit: "train")
        let rows = try #require(split.rows)
        let days = try #require(try dataset.split("train").column("day")).values.integers!
        let validationDays = rows.indices.filter { rows[$0] }.map { days[$0] }
        let trainingDays = rows.indices.filter { !rows[$0] }.map { days[$0] }
        #expect(validationDays.min()! >= trainingDays.max()!)
        #expect(split.description.contains("latest") && split.description.contains("'day'"))
        configuration.timeColumn = "when"
        #expect { try ValidationSplit(configuration, dataset: dataset, trainSplit: "train") } throws: {
            "\($0)".contains("field 'validation.timeColumn'") && "\($0)".contains("'when'")
        }
    }

    @Test func settingsThatWouldReadTheTestSplitAreRefused() throws {
        var configuration = RunnerFixture.configuration()
        configuration.earlyStopping = EarlyStopping()
        #expect { try Trainer(configuration: configuration) } throws: { "\($0)".contains("field 'earlyStopping': needs 'validation'") }
        configuration.earlyStopping = nil
        configuration.evaluateEvery = 5
        #expect { try Trainer(configuration: configuration) } throws: { "\($0)".contains("field 'evaluateEvery'") }
        configuration.evaluateEvery = 0
        configuration.validation = ValidationConfiguration(split: "train")
        #expect { try Trainer(configuration: configuration) } throws: { "\($0)".contains("field 'validation.split'") }
        configuration.validation = ValidationConfiguration(fraction: 1.5)
        #expect { try Trainer(configuration: configuration) } throws: { "\($0)".contains("field 'validation.fraction'") }
    }

    /// Early stopping watches the validation rows, keeps the best parameters, restores them at
    /// the end, and the report names the selection.
    @Test func earlyStoppingRestoresTheBestValidatedParameters() throws {
        var configuration = RunnerFixture.configuration()
        configuration.epochs = 4
        configuration.evaluateEvery = 10
        configuration.validation = ValidationConfiguration(fraction: 0.1)
        configuration.earlyStopping = EarlyStopping()
        configuration.earlyStopping?.patience = 100
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        configuration.checkpointDirectory = checkpoints
        let trainer = try Trainer(configuration: configuration, dataset: try Self.dataset.get())
        trainer.logsEvaluations = false
        let evaluation = try trainer.train()
        let best = try #require(trainer.bestParameters)
        for (name, parameter) in trainer.model.namedParameters() { #expect(parameter.scalars == best[name], "\(name)") }
        let validated = try trainer.validate()
        #expect(validated.metrics["auc"] == trainer.state.best)
        #expect(validated.protocolDescription[0].contains("of \(try trainer.dataset.split("train").rowCount) rows"))
        #expect(evaluation.protocolDescription.contains { $0.hasPrefix("model selection: early stopping on") && $0.contains("best parameters restored") })
        // Loaded without a trainer, the checkpoint scores what the run's final evaluation scored.
        let loaded = try TrainedModel.load(checkpoint: checkpoints)
        #expect(try loaded.evaluate().metrics == trainer.evaluate().metrics)
    }
}

/// Optional blocks of a configuration take their defaults for the fields they leave out.
@Suite struct OptionalBlockDecodingTests {
    @Test func partialValidationAndEarlyStoppingBlocksDecode() throws {
        let json = #"{"data": "d", "model": "mlp", "validation": {"carving": "time"}, "earlyStopping": {"metric": "gauc_avg"}}"#
        let configuration = try TrainingConfiguration.decode(Data(json.utf8))
        #expect(configuration.validation == ValidationConfiguration(fraction: 0.1, carving: .time))
        #expect(configuration.earlyStopping?.patience == 3 && configuration.earlyStopping?.restoreBest == true)
        #expect(configuration.earlyStopping?.metric == "gauc_avg")
        #expect { try TrainingConfiguration.decode(Data(#"{"data": "d", "model": "mlp", "validation": {"carve": "time"}}"#.utf8)) } throws: {
            "\($0)".contains("unknown field 'validation.carve'")
        }
        #expect { try TrainingConfiguration.decode(Data(#"{"data": "d", "model": "mlp", "validation": {"carving": "day"}}"#.utf8)) } throws: {
            "\($0)".contains("validation.carving")
        }
    }
}
