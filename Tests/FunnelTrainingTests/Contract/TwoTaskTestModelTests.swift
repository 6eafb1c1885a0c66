import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

@testable import FunnelTraining

/// A multi-task rule that records the per-task gradients it receives, then sums them.
final class RecordingUpdate: MultiTaskUpdate {
    var received: [TaskGradients] = []

    func step(_ gradients: TaskGradients, optimizer: OptimizerGroups, clipNorm: Float?) {
        received.append(gradients)
        SummedTaskUpdate().step(gradients, optimizer: optimizer, clipNorm: clipNorm)
    }
}

/// The two-task test model: its per-task gradients reach a multi-task rule separately, each
/// equal to that task's own gradient, and the summed rule trains as the single-step trainer.
@Suite struct TwoTaskTestModelTests {
    static func batch(_ dataset: Dataset, model: TwoTaskTestModel) throws -> Batch {
        let batcher = try Batcher(dataset: dataset, split: "train", batchSize: 64, shuffle: false, columns: model.requirements.columns)
        return batcher.batch(batcher.batches(epoch: 0)[0])
    }

    @Test func eachTaskGradientReachesTheRuleSeparately() throws {
        let dataset = try Dataset.load(RunnerFixture.data)
        let model = try TwoTaskTestModel(dataset: dataset, seed: 3)
        let batch = try Self.batch(dataset, model: model)
        let optimizer = OptimizerGroups(SGD(namedParameters: model.namedParameters(), learningRate: 0))
        let recorder = RecordingUpdate()
        _ = try MultiTaskTrainingStep(update: recorder).train(model, on: batch, optimizer: optimizer, clipNorm: nil)
        let received = try #require(recorder.received.first)
        #expect(received.tasks == ["click", "block"])
        let names = received.parameters.map(\.name)
        #expect(names == model.namedParameters().map(\.name))

        // Each task alone, by its own backward pass of its weighted term.
        for (taskIndex, task) in ["click", "block"].enumerated() {
            model.zeroGradients()
            let objective = try model.objective(try model(batch), batch: batch)
            try #require(objective.tasks.first { $0.name == task }).weighted.backward()
            for (index, (name, parameter)) in model.namedParameters().enumerated() {
                let expected = received.gradients[taskIndex][index]
                let otherHead = (task == "click" && name.hasPrefix("blockHead")) || (task == "block" && name.hasPrefix("clickHead"))
                if otherHead {
                    #expect(expected == nil, "\(task) must not reach \(name)")
                    continue
                }
                let gradient = try #require(expected, "\(task) → \(name)")
                if let dense = parameter.gradient { #expect(gradient.dense?.scalars == dense.scalars, "\(task) → \(name)") }
                if let rows = parameter.sparseGradient {
                    let (expectedRows, expectedValues) = try #require(gradient.rowSparse).coalesced()
                    #expect(expectedRows == rows.coalesced().rows && expectedValues == rows.coalesced().values, "\(task) → \(name)")
                }
            }
        }
        // The shared table's per-task gradients are row-sparse, never dense.
        let tableIndex = try #require(names.firstIndex(of: "items.table"))
        #expect(received.gradients.allSatisfy { $0[tableIndex]?.rowSparse != nil && $0[tableIndex]?.dense == nil })
    }

    @Test func summedRuleTrainsAsTheSingleStep() throws {
        let dataset = try Dataset.load(RunnerFixture.data)
        var configuration = RunnerFixture.configuration()
        configuration.epochs = 1
        configuration.threads = 1
        let single = try Trainer(configuration: configuration, dataset: dataset, model: TwoTaskTestModel(dataset: dataset, seed: 5))
        single.logsEvaluations = false
        try single.train()
        configuration.multiTaskUpdate = .sum
        let perTask = try Trainer(configuration: configuration, dataset: dataset, model: TwoTaskTestModel(dataset: dataset, seed: 5))
        perTask.logsEvaluations = false
        let evaluation = try perTask.train()
        #expect(perTask.step is MultiTaskTrainingStep)
        #expect(evaluation.metrics["click_auc"] != nil && evaluation.metrics["block_auc"] != nil)
        #expect(perTask.logMeans["click_loss"] != nil && perTask.logMeans["block_loss"] != nil)
        for ((name, expected), (_, actual)) in zip(single.model.namedParameters(), perTask.model.namedParameters()) {
            let difference = zip(expected.scalars, actual.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(difference < 1e-5, "\(name) differs by \(difference)")
        }
    }
}
