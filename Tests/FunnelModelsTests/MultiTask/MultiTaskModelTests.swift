import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

/// multitask.md §1 oracle (one expert = shared bottom), outputs and objective terms by task,
/// chaining, and the refusals.
@Suite struct MultiTaskModelTests {
    static func batch(_ model: any FunnelModel, dataset: Dataset) throws -> Batch {
        let batcher = try Batcher(dataset: dataset, split: "train", batchSize: 64, shuffle: false, columns: model.requirements.columns)
        var random = RandomGenerator(seed: 1)
        return batcher.batch(batcher.batches(epoch: 0)[0], random: &random)
    }

    @Test func oneExpertMMoEIsSharedBottomBitwise() throws {
        let dataset = try ModelZooTests.world("funnel")
        let common = #""embeddingDimensions": 4, "towerHidden": [8], "dropout": 0.2"#
        let mmoe = try ModelKind.mmoe.make(dataset: dataset, configuration: Data(#"{\#(common), "experts": 1, "expertHidden": [16, 8]}"#.utf8), seed: 5)
        let bottom = try ModelKind.sharedBottom.make(dataset: dataset, configuration: Data(#"{\#(common), "bottomHidden": [16, 8]}"#.utf8), seed: 5)
        let batch = try Self.batch(mmoe, dataset: dataset)
        for training in [true, false] {  // dropout masks and batch statistics too
            mmoe.train(training)
            bottom.train(training)
            for layer in mmoe.randomLayers() + bottom.randomLayers() { layer.reseed(11) }
            let left = try mmoe(batch), right = try bottom(batch)
            #expect(Set(left.keys) == ["ctr", "ctcvr"])
            for name in ["ctr", "ctcvr"] { #expect(left[name]!.scalars == right[name]!.scalars, "\(name), training \(training)") }
        }
    }

    @Test(arguments: [ModelKind.sharedBottom, .mmoe, .ple])
    func objectiveNamesEveryTask(kind: ModelKind) throws {
        let dataset = try ModelZooTests.world("funnel")
        let model = try kind.make(dataset: dataset, configuration: kind.factory.fixture.configuration.map { Data($0.utf8) }, seed: 1)
        let batch = try Self.batch(model, dataset: dataset)
        let objective = try model.objective(try model(batch), batch: batch)
        #expect(objective.tasks.map(\.name) == ["ctr", "ctcvr"])
        #expect(objective.tasks.allSatisfy { $0.loss.scalar.isFinite && $0.loss.scalar > 0 })
        #expect(model.evaluationTasks.map(\.name) == ["ctr", "ctcvr"])
        #expect(model.evaluationTasks.map(\.label) == ["click", "conversion"])
        #expect(model.namedBuffers().contains { $0.name.hasSuffix("runningMean") }, "BatchNorm is on by default")
    }

    @Test func chainedTaskScoresTheProduct() throws {
        let dataset = try ModelZooTests.world("funnel")
        let configuration = #"{"embeddingDimensions": 4, "experts": 2, "expertHidden": [8], "towerHidden": [4], "tasks": [{"name": "ctr", "label": "click"}, {"name": "ctcvr", "label": "conversion", "chainedOn": "ctr"}]}"#
        let model = try ModelKind.mmoe.make(dataset: dataset, configuration: Data(configuration.utf8), seed: 1)
        #expect(model.evaluationTasks[1].outputs == ["ctr", "ctcvr"])
        let batch = try Self.batch(model, dataset: dataset)
        let outputs = try model(batch)
        let objective = try model.objective(outputs, batch: batch)
        let expected = Losses.productBinaryCrossEntropy(
            firstLogits: outputs["ctr"]!, secondLogits: outputs["ctcvr"]!, labels: try batch.tensor("conversion"))
        #expect(objective.tasks[1].loss.scalar == expected.scalar)
    }

    @Test func refusalsNameTheField() throws {
        let dataset = try ModelZooTests.world("funnel")
        let cases: [(ModelKind, String, String)] = [
            (.mmoe, #"{"tasks": [{"name": "ctr", "label": "click"}, {"name": "buy", "label": "purchase"}]}"#,
             "field 'modelConfiguration.tasks[1].label': no label column 'purchase'"),
            (.mmoe, #"{"experts": 0}"#, "field 'modelConfiguration.experts': 0"),
            (.ple, #"{"sharedExperts": 0, "taskExperts": 0}"#, "field 'modelConfiguration.sharedExperts'"),
            (.sharedBottom, #"{"tasks": []}"#, "field 'modelConfiguration.tasks': [] has no task"),
            (.ple, #"{"tasks": [{"name": "ctr", "label": "click"}, {"name": "ctr", "label": "conversion"}]}"#,
             "field 'modelConfiguration.tasks[1].name': 'ctr' names two tasks"),
            (.mmoe, #"{"tasks": [{"name": "ctr", "label": "click", "chainedOn": "cvr"}]}"#, "field 'modelConfiguration.tasks[0].chainedOn'"),
        ]
        for (kind, configuration, message) in cases {
            #expect {
                try kind.make(dataset: dataset, configuration: Data(configuration.utf8), seed: 1)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }
}
