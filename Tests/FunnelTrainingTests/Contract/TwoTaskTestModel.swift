import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor

/// A test model with two tasks over one shared item embedding (row-sparse gradients): the item
/// click and the user-day block click of the homepage world, each a logistic head. Written
/// against the public contract only, outside the registry. With `sharesItems: false` the block
/// task reads a table of its own, so the tasks share no parameter (PUB's refusal).
final class TwoTaskTestModel: Module, FunnelModel {
    let items: Embedding
    /// The block task's own table (`sharesItems: false`).
    let blockItems: Embedding?
    let clickHead: Linear
    let blockHead: Linear

    init(dataset: Dataset, seed: UInt64, sharesItems: Bool = true) throws {
        var generator = RandomGenerator(seed: seed)
        let count = try require(dataset.vocabulary(for: "item"), "the item vocabulary").size
        items = Embedding(count: count, dimensions: 4, initializer: .normal(mean: 0, standardDeviation: 0.1), generator: &generator)
        blockItems = sharesItems
            ? nil : Embedding(count: count, dimensions: 4, initializer: .normal(mean: 0, standardDeviation: 0.1), generator: &generator)
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
        let clicked = items(ids)
        let blocked = blockItems.map { $0(ids) } ?? clicked
        return ["click": clickHead(clicked).reshaped([batch.size]), "block": blockHead(blocked).reshaped([batch.size])]
    }

    func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        Objective(tasks: [
            .init(name: "click", loss: Losses.binaryCrossEntropy(logits: outputs["click"]!, labels: try batch.tensor("click"))),
            .init(
                name: "block", loss: Losses.binaryCrossEntropy(logits: outputs["block"]!, labels: try batch.tensor("user-day.block_click")),
                weight: 0.5),
        ])
    }
}

/// Unwraps an optional or throws (test models have no error types of their own).
func require<Value>(_ value: Value?, _ what: String = "a value") throws -> Value {
    guard let value else { throw StrictJSON.Error(description: "missing \(what)") }
    return value
}
