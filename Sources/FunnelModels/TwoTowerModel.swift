import FunnelData
import FunnelNN
import FunnelTensor

/// A two-tower retrieval model (Covington et al., "Deep Neural Networks for YouTube
/// Recommendations", RecSys 2016; Yi et al., "Sampling-Bias-Corrected Neural Modeling for Large
/// Corpus Item Recommendations", RecSys 2019): a user tower — the user and context features'
/// embeddings through an MLP with dropout — and an item table, scored by their dot product.
///
/// Trained on the clicked rows (the row sampler keeps `click = 1`) with a sampled softmax over
/// the clicked item and `negatives` items drawn uniformly from the catalogue for every row;
/// evaluated by ranking the whole catalogue for every clicked test row (sequential.md §0.2–§0.3
/// protocol; the history masked when a history column is named).
///
/// Shapes: a batch of `n` rows → user vectors `[n, d]`; training output `sampled` `[n, 1 + k]`
/// (the clicked item first); evaluation output `catalogue` `[n, items]`.
public final class TwoTowerModel: Module, RegisteredModel {
    public static let summary = "two-tower retrieval: user-feature tower (dropout) · item table, sampled softmax over uniform negatives, ranked over the catalogue (click, item)"

    public struct Configuration: ModelConfiguration, Equatable {
        /// The user tower's features (`nil` categorical: every usable one but the item and its
        /// side-table columns) and the positive label.
        public var features = FeatureSelection()
        /// The item column: its vocabulary is the catalogue.
        public var item = "item"
        public var embeddingDimensions = 16
        public var hiddenDimensions = [64]
        /// `d`, the width of the user vector and of an item vector.
        public var outputDimensions = 32
        public var dropout: Float = 0.1
        /// Uniformly sampled negatives per clicked row.
        public var negatives = 8
        /// An id-list column of items each row's user has seen, masked in evaluation.
        public var history: String?

        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try check.name(item, "item")
            try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
            try check.widths(hiddenDimensions, "hiddenDimensions")
            try check.positive(outputDimensions, "outputDimensions", what: "a number of output dimensions")
            try check.dropout(dropout, "dropout")
            try check.positive(negatives, "negatives", maximum: ModelConfigurationCheck.maximumCount, what: "a number of sampled negatives")
        }
    }

    public let userInput: FeatureInput
    public let tower: MLP
    public let items: Embedding
    public let configuration: Configuration

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        guard let vocabulary = dataset.vocabulary(for: configuration.item) else {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: configuration.item, reason: "the two-tower model's item catalogue")
        }
        guard configuration.negatives >= 1 else {
            throw StrictJSON.Error(description: "field 'modelConfiguration.negatives': \(configuration.negatives); expected at least 1")
        }
        var generator = RandomGenerator(seed: seed)
        var selection = configuration.features
        if selection.categorical == nil {
            let itemSide = configuration.item + "."
            selection.categorical = try selection.resolve(in: dataset).categorical.filter { $0 != configuration.item && !$0.hasPrefix(itemSide) }
        }
        userInput = try FeatureInput(dataset: dataset, features: selection, dimensions: configuration.embeddingDimensions, generator: &generator)
        tower = MLP(
            inputDimensions: userInput.width, hiddenDimensions: configuration.hiddenDimensions,
            outputDimensions: configuration.outputDimensions, dropout: configuration.dropout, generator: &generator)
        items = Embedding(
            count: vocabulary.size, dimensions: configuration.outputDimensions, initializer: .normal(mean: 0, standardDeviation: 0.05),
            generator: &generator)
        self.configuration = configuration
        super.init()
    }

    public var label: String { configuration.features.label }

    public var requirements: DataRequirements {
        DataRequirements(
            columns: userInput.columns.union([configuration.item, label]).union(configuration.history.map { [$0] } ?? []),
            rowSampler: RowSampler(anyOf: [label]),
            negativeSampling: NegativeSampling(column: configuration.item, count: configuration.negatives))
    }

    public var evaluationTasks: [EvaluationTask] {
        [EvaluationTask(
            name: "", outputs: ["catalogue"], label: configuration.item, rowsWhere: label, scoreDescription: "user · item",
            kind: .ranking(RankingProtocol(history: configuration.history)))]
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let users = tower(parts: try userInput.linearParts(batch))
        var outputs: [String: Tensor] = [:]
        if let negatives = batch.negatives[configuration.item] {
            guard let positives = batch.ids[configuration.item] else {
                throw DataError.missingRequirement(dataset: "batch", column: configuration.item, reason: "the clicked items")
            }
            let count = configuration.negatives
            var candidates = [Int32](repeating: 0, count: batch.size * (count + 1))
            for row in 0..<batch.size {
                candidates[row * (count + 1)] = positives[row]
                for slot in 0..<count { candidates[row * (count + 1) + 1 + slot] = negatives[row * count + slot] }
            }
            let vectors = items(candidates, shape: [batch.size, count + 1])
            outputs["sampled"] = (users.reshaped([batch.size, 1, configuration.outputDimensions]) * vectors).sum(alongAxes: [2])
        }
        if !isTraining {
            outputs["catalogue"] = Tensor.matmul(users, items.table, transposeRight: true)
        }
        return outputs
    }

    /// The sampled softmax of the clicked item against its negatives, averaged over the
    /// batch's clicked rows.
    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        guard let sampled = outputs["sampled"] else {
            throw DataError.missingRequirement(dataset: "batch", column: configuration.item, reason: "training needs sampled negatives")
        }
        let clicked = try batch.tensor(label)
        let loss = Losses.softmaxCrossEntropy(
            logits: sampled, labels: Array(repeating: 0, count: batch.size), weights: clicked, reduction: .sum)
        let clicks = clicked.sum().scalar
        return Objective(tasks: [.init(name: "loss", loss: loss / Swift.max(clicks, 1), rows: Int(clicks))])
    }
}
