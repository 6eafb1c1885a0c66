import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

@testable import FunnelTraining

/// Two tasks over two separate item tables: nothing is shared, so PUB has nothing to balance.
final class UnsharedTwoTaskModel: Module, FunnelModel {
    let clickItems: Embedding
    let blockItems: Embedding
    let clickHead: Linear
    let blockHead: Linear

    init(dataset: Dataset, seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed)
        let count = try require(dataset.vocabulary(for: "item"), "the item vocabulary").size
        clickItems = Embedding(count: count, dimensions: 4, initializer: .normal(mean: 0, standardDeviation: 0.1), generator: &generator)
        blockItems = Embedding(count: count, dimensions: 4, initializer: .normal(mean: 0, standardDeviation: 0.1), generator: &generator)
        clickHead = Linear(4, 1, generator: &generator)
        blockHead = Linear(4, 1, generator: &generator)
        super.init()
    }

    var requirements: DataRequirements { DataRequirements(columns: ["item", "click", "user-day.block_click"]) }

    var evaluationTasks: [EvaluationTask] {
        [
            EvaluationTask(name: "click", outputs: ["click"], label: "click"),
            EvaluationTask(name: "block", outputs: ["block"], label: "user-day.block_click", truth: nil),
        ]
    }

    func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let ids = try require(batch.ids["item"], "item ids")
        return [
            "click": clickHead(clickItems(ids)).reshaped([batch.size]),
            "block": blockHead(blockItems(ids)).reshaped([batch.size]),
        ]
    }

    func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        Objective(tasks: [
            .init(name: "click", loss: Losses.binaryCrossEntropy(logits: outputs["click"]!, labels: try batch.tensor("click"))),
            .init(name: "block", loss: Losses.binaryCrossEntropy(logits: outputs["block"]!, labels: try batch.tensor("user-day.block_click"))),
        ])
    }
}

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
        let trainer = try Trainer(configuration: configuration, dataset: dataset, model: UnsharedTwoTaskModel(dataset: dataset, seed: 5))
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
