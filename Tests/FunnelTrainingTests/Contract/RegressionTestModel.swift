import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor

/// A test model with a regression output: watch time as a learned value per video plus a bias
/// (`[batch]` values, not logits), trained by mean squared error on the watch-time world.
final class RegressionTestModel: Module, FunnelModel {
    let videos: Embedding
    let bias: Tensor

    init(dataset: Dataset, seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed)
        videos = Embedding(
            count: try require(dataset.vocabulary(for: "video")).size, dimensions: 1, initializer: .constant(0), generator: &generator)
        bias = Tensor([0], requiresGradient: true)
        super.init()
    }

    var requirements: DataRequirements { DataRequirements(columns: ["video", "watch_time"]) }

    var evaluationTasks: [EvaluationTask] {
        [EvaluationTask(
            name: "", outputs: ["watch_time"], label: "watch_time",
            kind: .regression(RegressionProtocol(relevanceThreshold: 20)))]
    }

    func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let values = videos(try require(batch.ids["video"])).reshaped([batch.size]) + bias.broadcasted(to: [batch.size])
        return ["watch_time": values]
    }

    func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        Objective(Losses.meanSquaredError(predictions: outputs["watch_time"]!, targets: try batch.tensor("watch_time")))
    }
}
