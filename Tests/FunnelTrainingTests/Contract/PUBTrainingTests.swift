import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

@testable import FunnelTraining

/// PUB (multitask.md §3) through the trainer: `"multiTaskUpdate": "pub"` with its block.
@Suite struct PUBTrainingTests {
    @Test func trainsTheTwoTaskModel() throws {
        let dataset = try Dataset.load(RunnerFixture.data)
        var configuration = RunnerFixture.configuration()
        configuration.epochs = 1
        configuration.threads = 1
        configuration.multiTaskUpdate = .pub
        var pub = PUB.Configuration()
        pub.updateFrequency = 3
        configuration.pub = pub
        let trainer = try Trainer(configuration: configuration, dataset: dataset, model: TwoTaskTestModel(dataset: dataset, seed: 5))
        trainer.logsEvaluations = false
        let evaluation = try trainer.train()
        let rule = try #require(trainer.multiTaskUpdate as? PUB)
        #expect(rule.configuration.updateFrequency == 3)
        #expect(rule.counter > 3)
        #expect(rule.weights.count == 2 && rule.weights.allSatisfy { $0.isFinite && $0 > 0 } && rule.weights != [1, 1])
        for loss in ["click_loss", "block_loss"] {
            let mean = try #require(trainer.logMeans[loss])
            #expect(mean.isFinite, "\(loss) = \(mean)")
        }
        #expect(evaluation.metrics["click_auc"].map(\.isFinite) == true)
        #expect(trainer.model.namedParameters().allSatisfy { $0.parameter.scalars.allSatisfy(\.isFinite) })
    }

    @Test func refusesAModelWithoutSharedParameters() throws {
        let dataset = try Dataset.load(RunnerFixture.data)
        var configuration = RunnerFixture.configuration()
        configuration.epochs = 1
        configuration.multiTaskUpdate = .pub
        let trainer = try Trainer(configuration: configuration, dataset: dataset, model: TwoTaskTestModel(dataset: dataset, seed: 5, sharesItems: false))
        trainer.logsEvaluations = false
        #expect { try trainer.train() } throws: { "\($0)".contains("PUB needs shared parameters") }
    }

    @Test func configurationBlockDecodesWithDefaultsAndIsValidated() throws {
        let json = #"{"data": "d", "model": "logistic-regression", "multiTaskUpdate": "pub", "pub": {"updateFrequency": 5, "updateMatrix": "shared"}}"#
        let configuration = try TrainingConfiguration.decode(Data(json.utf8))
        var expected = PUB.Configuration()
        expected.updateFrequency = 5
        expected.updateMatrix = .sharedOnly
        #expect(configuration.multiTaskUpdate == .pub && configuration.pub == expected)
        try configuration.validate()
        for (block, message) in [
            (#"{"updateFrequency": 0}"#, "field 'pub.updateFrequency': 0; expected a number of steps >= 1"),
            (#"{"tolerance": -1}"#, "field 'pub.tolerance': -1.0; expected a positive tolerance"),
        ] {
            let json = #"{"data": "d", "model": "logistic-regression", "multiTaskUpdate": "pub", "pub": "# + block + "}"
            #expect { try TrainingConfiguration.decode(Data(json.utf8)).validate() } throws: { "\($0)" == message }
        }
        let stray = #"{"data": "d", "model": "logistic-regression", "pub": {}}"#
        #expect { try TrainingConfiguration.decode(Data(stray.utf8)).validate() } throws: { "\($0)".contains("field 'pub'") }
    }
}
