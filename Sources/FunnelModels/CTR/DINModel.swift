import FunnelData
import FunnelNN
import FunnelTensor

/// DIN, the Deep Interest Network (Zhou et al., "Deep Interest Network for Click-Through Rate
/// Prediction", KDD 2018, arXiv 1706.06978): the target item queries the behaviour sequence
/// through the local activation unit (``DINAttention``), and the user's interest joins the
/// target item and the profile and context features in an MLP.
///
/// An item is its id embedding ⊕ its category embedding (`d = 2·embeddingDimensions`), for the
/// target and for every behaviour; both tables hold one extra row for padding (the item
/// vocabulary's size, the batcher's padding id), which reads as zeros. With `rar`, RAR's `u_aug`
/// (``RecallAugmentation``; adaptation.md §1) joins the MLP input and `β·L_rec` the loss.
///
/// Shapes: a batch of `n` rows, behaviours `[n, S]` (the last `S`, oldest first) →
/// `[n, features + 2d (+ 2·rar.embeddingDimensions)]` → logits `[n]` under the label's name.
public final class DINModel: Module, RegisteredModel {
    public static let summary = "DIN (Zhou et al., KDD 2018): target item + DIN attention over the behaviour sequence + profile features → MLP (click, item, behaviours)"
    public static var testFixture: ModelFixture {
        ModelFixture(world: "homepage", configuration: #"{"sequenceLength": 10}"#)
    }

    public struct Configuration: ModelConfiguration, Equatable {
        /// Profile and context features (`nil` categorical: every usable one but the target item
        /// and its category, which the model embeds itself); the label.
        public var features = FeatureSelection()
        /// The target item column and its category (a side-table column keyed by the item).
        public var item = "item"
        public var itemCategory = "item.item_category"
        /// The behaviour sequence: item ids, oldest first (the day itself excluded), and `S`.
        public var behaviours = "user-day.clicked_items"
        public var sequenceLength = 50
        public var embeddingDimensions = 16
        /// The attention MLP (the official code's [80, 40], sigmoid) and its normalisation.
        public var attentionHidden = [80, 40]
        public var normalisation = DINAttention.Normalisation.softmax
        /// The tower (the official code's [200, 80]).
        public var hidden = [200, 80]
        /// RAR (adaptation.md §1); `nil` (the default): DIN without it, bit for bit.
        public var rar: RARConfiguration?

        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try check.name(item, "item")
            try check.name(behaviours, "behaviours")
            try check.positive(
                sequenceLength, "sequenceLength", maximum: ModelConfigurationCheck.maximumLength, what: "a sequence length")
            try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
            try check.widths(attentionHidden, "attentionHidden")
            try check.widths(hidden, "hidden")
            try rar?.validate(check.nested("rar"))
        }
    }

    public let items: Embedding
    public let categories: Embedding
    public let features: FeatureInput
    public let attention: DINAttention
    public let tower: MLP
    public let augmentation: RecallAugmentation?
    public let configuration: Configuration
    /// The category id of every item id, and the padding category for the padding id.
    let categoryOfItem: [Int32]

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed)
        let input = try CategorisedItemInput(
            dataset: dataset, item: configuration.item, itemCategory: configuration.itemCategory,
            behaviours: configuration.behaviours, features: configuration.features,
            dimensions: configuration.embeddingDimensions, model: "DIN", generator: &generator)
        (items, categories, features, categoryOfItem) = (input.items, input.categories, input.features, input.categoryOfItem)
        let dimensions = configuration.embeddingDimensions
        let itemWidth = 2 * dimensions
        attention = DINAttention(
            dimensions: itemWidth, hiddenDimensions: configuration.attentionHidden, normalisation: configuration.normalisation,
            generator: &generator)
        tower = RecallAugmentation.tower(
            inputDimensions: features.width + 2 * itemWidth, rar: configuration.rar, seed: seed, generator: &generator
        ) { MLP(inputDimensions: $0, hiddenDimensions: configuration.hidden, outputDimensions: 1, generator: &$1) }
        augmentation = try configuration.rar.map {
            try RecallAugmentation(dataset: dataset, configuration: $0, label: configuration.features.label, seed: seed)
        }
        self.configuration = configuration
        super.init()
    }

    public var label: String { configuration.features.label }

    public var requirements: DataRequirements {
        DataRequirements(
            columns: features.columns.union([configuration.item, configuration.behaviours, label]).union(augmentation?.columns ?? []),
            sequences: [configuration.behaviours: SequencePolicy(length: configuration.sequenceLength, keep: .last)])
    }

    public var evaluationTasks: [EvaluationTask] { [EvaluationTask(name: "", outputs: [label], label: label)] }

    /// Item ids → `[shape, 2·dimensions]` (id ⊕ category embedding; zeros for the padding id).
    func embedItems(_ ids: [Int32], shape: [Int]) -> Tensor {
        CategorisedItemInput.embed(ids, shape: shape, items: items, categories: categories, categoryOfItem: categoryOfItem)
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        guard let sequence = batch.sequences[configuration.behaviours], let itemIDs = batch.ids[configuration.item] else {
            throw DataError.missingRequirement(dataset: "batch", column: configuration.behaviours, reason: "DIN's behaviours and target item")
        }
        guard sequence.paddingID == Int32(items.count - 1) else {
            throw DataError.missingRequirement(
                dataset: "batch", column: configuration.behaviours,
                reason: "padded with id \(sequence.paddingID), but DIN pads with \(items.count - 1) (the item vocabulary's size)")
        }
        let rows = batch.size
        let target = embedItems(itemIDs, shape: [rows])
        let behaviours = embedItems(sequence.ids, shape: [rows, sequence.length])
        let interest = attention(target: target, sequence: behaviours, mask: sequence.maskTensor)
        var parts = try features.linearParts(batch) + [.rows(target), .rows(interest)]
        let rar = try augmentation?(batch)
        if let rar { parts.append(.rows(rar.vector)) }
        let logits = tower(parts: parts).reshaped([rows])
        guard let rar else { return [label: logits] }
        return RecallAugmentation.outputs(label: label, logits: logits, rar)
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let loss = Losses.binaryCrossEntropy(logits: outputs[label]!, labels: try batch.tensor(label))
        return RecallAugmentation.objective(loss, outputs: outputs, configuration: augmentation?.configuration)
    }
}
