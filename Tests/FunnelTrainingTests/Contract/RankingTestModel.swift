import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor

/// A test model with a ranking output: user · item scores over the whole catalogue
/// (`[batch, items]`), trained by a full softmax over the catalogue on the clicked rows.
/// `fixedScores` replaces the learned scores for the oracle tests: `target` scores the row's
/// item 1 and every other item 0; `constant` scores every item equally.
final class RankingTestModel: Module, FunnelModel {
    enum FixedScores {
        case target
        case constant
    }

    let users: Embedding
    let items: Embedding
    let fixedScores: FixedScores?
    let ranking: RankingProtocol

    init(dataset: Dataset, ranking: RankingProtocol = RankingProtocol(), fixedScores: FixedScores? = nil, seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed)
        let initializer = Initializer.normal(mean: 0, standardDeviation: 0.1)
        users = Embedding(count: try require(dataset.vocabulary(for: "user")).size, dimensions: 8, initializer: initializer, generator: &generator)
        items = Embedding(count: try require(dataset.vocabulary(for: "item")).size, dimensions: 8, initializer: initializer, generator: &generator)
        self.fixedScores = fixedScores
        self.ranking = ranking
        super.init()
    }

    var requirements: DataRequirements {
        DataRequirements(
            columns: ["user", "item", "click", "user-day.clicked_items"], sequences: ["user-day.clicked_items": SequencePolicy(length: 20)],
            rowSampler: RowSampler(anyOf: ["click"]))
    }

    var evaluationTasks: [EvaluationTask] {
        [EvaluationTask(name: "", outputs: ["catalogue"], label: "item", rowsWhere: "click", kind: .ranking(ranking))]
    }

    func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let count = items.count
        switch fixedScores {
        case .target:
            var scores = [Float](repeating: 0, count: batch.size * count)
            for (row, item) in try require(batch.ids["item"]).enumerated() { scores[row * count + Int(item)] = 1 }
            return ["catalogue": Tensor(shape: [batch.size, count], scalars: scores)]
        case .constant:
            return ["catalogue": Tensor(shape: [batch.size, count], repeating: 0.5)]
        case nil:
            let user = users(try require(batch.ids["user"]))
            return ["catalogue": Tensor.matmul(user, items.table, transposeRight: true)]
        }
    }

    func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        Objective(Losses.softmaxCrossEntropy(
            logits: outputs["catalogue"]!, labels: try require(batch.ids["item"]), weights: try batch.tensor("click")))
    }
}
