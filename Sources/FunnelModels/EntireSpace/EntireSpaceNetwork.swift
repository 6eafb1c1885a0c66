import FunnelData
import FunnelNN
import FunnelTensor

/// The network every entire-space CVR model of entire-space.md §4–§8 is built on: field
/// embeddings (shared by all heads, or one table per head for ESMM-NS and the naive model),
/// a backbone, and one tower per head ending in one logit.
///
/// Backbones: `towers` (each head's MLP reads the embeddings: ESMM's "BASE" network, §4),
/// `shared-bottom` (a shared MLP, then small towers: ChorusCVR, §8), `mmoe` (multi-gate mixture
/// of experts, one gate per head: ESCM²'s public code, §5), `eta` (BASE of USD without its MLP,
/// ``ETAModel``: the towers read its features, target item and retrieved long and DIN short
/// interests, so that the adapter of §12 runs on USD's backbone).
///
/// Shapes: a batch of `n` rows → `[n, width]` → one logit `[n]` per head.
public final class EntireSpaceNetwork: Module {
    public struct Configuration: Codable, Sendable, Equatable {
        public enum Backbone: String, Codable, Sendable, CaseIterable, StrictEnum {
            case towers
            case sharedBottom = "shared-bottom"
            case mixtureOfExperts = "mmoe"
            case eta
        }

        /// The feature columns; `features.label` names the click (stage-one) label.
        public var features = FeatureSelection()
        /// The conversion label: click ∧ conversion, 0 on non-clicked rows.
        public var conversionLabel = "conversion"
        public var embeddingDimensions: Int
        /// One embedding table for all heads (`false`: one per head; `towers` only).
        public var sharedEmbedding = true
        public var backbone: Backbone
        /// Each head's hidden layers before its logit.
        public var towerHidden: [Int]
        /// The shared MLP of `shared-bottom`.
        public var sharedHidden = [256]
        /// The experts of `mmoe`: how many, and each one's hidden layers.
        public var experts = 8
        public var expertHidden = [16]
        /// The sequence backbone of `eta`: BASE's settings, whose `features` are this network's
        /// and whose `hidden` layers are the towers' (`towerHidden`).
        public var eta = ETAModel.Configuration()
        /// Train only on rows where this label column is 1 (`nil`: every row). The adapter of
        /// entire-space.md §12 trains on USD's sample: `user-day.portal_visit`.
        public var trainOnlyWhere: String?
        /// What evaluation scores.
        public var evaluation = Evaluation.entireSpace

        /// The evaluation protocols of an entire-space model.
        public enum Evaluation: String, Codable, Sendable, CaseIterable, StrictEnum {
            /// The four protocols of entire-space.md §1.
            case entireSpace
            /// One task, `ô·r̂` against the conversion label with the plain metric names: the
            /// adapter of §12, where the "conversion" is the item click after a block click.
            case clickThroughConversion
        }

        /// The checks of the network's fields, under `check`'s path.
        public func validate(_ check: ModelConfigurationCheck) throws {
            try check.name(conversionLabel, "conversionLabel")
            try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
            try check.widths(towerHidden, "towerHidden")
            try check.widths(sharedHidden, "sharedHidden")
            try check.positive(experts, "experts", maximum: ModelConfigurationCheck.maximumCount, what: "a number of experts")
            try check.widths(expertHidden, "expertHidden", nonEmpty: true)
            if !sharedEmbedding, backbone != .towers {
                throw check.refusal("sharedEmbedding", "false needs the 'towers' backbone (found '\(backbone.rawValue)')")
            }
            if backbone == .eta {
                try eta.validate(check.nested("eta"))
                guard eta.rar == nil else { throw check.refusal("eta.rar", "RAR is an option of base, mlp and din, not of a backbone") }
            }
        }

        public init(embeddingDimensions: Int = 18, backbone: Backbone = .towers, towerHidden: [Int] = [200, 80]) {
            self.embeddingDimensions = embeddingDimensions
            self.backbone = backbone
            self.towerHidden = towerHidden
        }
    }

    /// One input, or one per head when embeddings are not shared.
    public let inputs: [FeatureInput]
    public let bottom: MLP?
    public let mixture: MixtureOfExperts?
    /// The `eta` backbone (its features are ``inputs``' first).
    public let sequence: ETAModel?
    public let towers: [MLP]
    /// The head names, in tower order.
    public let heads: [String]
    public let click: String
    public let conversion: String
    public let configuration: Configuration
    /// The first layers folded with the embedding fields for inference, one per input-reading
    /// MLP (each tower, or the shared bottom); dropped by a forward pass in training.
    private var folds: [FieldFold] = []

    public init(dataset: Dataset, configuration: Configuration, heads: [String], seed: UInt64) throws {
        guard configuration.sharedEmbedding || configuration.backbone == .towers else {
            throw StrictJSON.Error(description: "field 'network.sharedEmbedding': separate embeddings need the 'towers' backbone")
        }
        try Self.requireLabel(configuration.conversionLabel, in: dataset, reason: "the model's conversion label")
        if let column = configuration.trainOnlyWhere {
            try Self.requireLabel(column, in: dataset, reason: "the label 'trainOnlyWhere' samples by")
        }
        var generator = RandomGenerator(seed: seed)
        if configuration.backbone == .eta {
            var eta = configuration.eta
            eta.features = configuration.features
            let sequence = try ETAModel(dataset: dataset, configuration: eta, seed: seed, withTower: false)
            self.sequence = sequence
            inputs = [sequence.features]
        } else {
            sequence = nil
            inputs = try (0..<(configuration.sharedEmbedding ? 1 : heads.count)).map { _ in
                try FeatureInput(
                    dataset: dataset, features: configuration.features, dimensions: configuration.embeddingDimensions,
                    generator: &generator)
            }
        }
        var width = sequence?.representationWidth ?? inputs[0].width
        switch configuration.backbone {
        case .towers, .eta:
            bottom = nil
            mixture = nil
        case .sharedBottom:
            bottom = MLP(inputDimensions: width, hiddenDimensions: configuration.sharedHidden, generator: &generator)
            mixture = nil
            width = configuration.sharedHidden.last ?? width
        case .mixtureOfExperts:
            bottom = nil
            let mixture = MixtureOfExperts(
                inputDimensions: width, expertDimensions: configuration.expertHidden, experts: configuration.experts,
                gates: heads.count, generator: &generator)
            self.mixture = mixture
            width = mixture.outputDimensions
        }
        towers = heads.map { _ in
            MLP(inputDimensions: width, hiddenDimensions: configuration.towerHidden, outputDimensions: 1, generator: &generator)
        }
        self.heads = heads
        click = configuration.features.label
        conversion = configuration.conversionLabel
        self.configuration = configuration
        super.init()
    }

    private static func requireLabel(_ name: String, in dataset: Dataset, reason: String) throws {
        guard dataset.schema.resolvedColumn(name)?.kind == .label else {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: name, reason: reason)
        }
    }

    /// The feature and label columns the batcher must gather.
    public var columns: Set<String> {
        (sequence?.requirements.columns.subtracting([sequence!.label]) ?? inputs[0].columns).union([click, conversion])
    }

    /// The `eta` backbone's behaviour sequence and its length (none for the other backbones).
    public var sequences: [String: SequencePolicy] { sequence?.requirements.sequences ?? [:] }

    /// Folds the first layers that read the embeddings — each tower's, or the shared bottom's —
    /// with the fields whose products fit `budget` bytes per layer
    /// (``FeatureInput/fold(into:budget:)``), so that inference adds a precomputed row per
    /// folded field and row. Scores match the unfolded network's up to rounding. The folds are a
    /// snapshot of the parameters: a forward pass in training drops them, and a network that
    /// loads or changes parameters otherwise must fold again. Returns the bytes the folds hold
    /// (0 for the `mmoe` and `eta` backbones, which are not folded).
    @discardableResult
    public func foldForInference(budget: Int = FieldEmbedding.defaultFoldBudget) -> Int {
        folds = []
        let layers: [(input: FeatureInput, layer: Linear?)]
        if mixture != nil || sequence != nil {
            layers = []
        } else if let bottom {
            layers = [(inputs[0], bottom.layers.first)]
        } else {
            layers = zip(towers.indices, towers).map { (inputs[inputs.count == 1 ? 0 : $0], $1.layers.first) }
        }
        let folds = layers.map { input, layer in layer.flatMap { input.fold(into: $0, budget: budget) } }
        guard let first = folds.first, first != nil, folds.allSatisfy({ $0?.starts == first?.starts }) else { return 0 }
        self.folds = folds.compactMap { $0 }
        return self.folds.reduce(0) { $0 + $1.bytes }
    }

    /// One logit `[n]` per head.
    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        if isTraining || GradientMode.isEnabled { folds = [] }
        // The towers are independent: one per thread, forward and backward.
        let representations: [[Tensor.LinearPart]]
        if let sequence {
            representations = Array(repeating: try sequence.representation(batch).parts, count: heads.count)
        } else if let mixture {
            representations = mixture(try inputs[0](batch)).map { [.rows($0)] }
        } else if let bottom {
            let parts = try inputs[0].linearParts(batch, folds: folds)[0]
            representations = Array(repeating: [.rows(bottom(parts: parts))], count: heads.count)
        } else if !folds.isEmpty {
            representations = inputs.count == 1
                ? try inputs[0].linearParts(batch, folds: folds)
                : try zip(inputs, folds).map { try $0.linearParts(batch, folds: [$1])[0] }
        } else {
            // Each tower's first layer reads the embeddings and dense columns where they lie.
            let parts = try inputs.map { try $0.linearParts(batch) }
            representations = heads.indices.map { parts[parts.count == 1 ? 0 : $0] }
        }
        let outputs = try Tensor.concurrently(
            representations.map(\.tensors),
            zip(representations, towers).map { parts, tower in { [tower(parts: parts.replacingTensors(with: $0))] } }
        ).map { $0[0] }
        var logits: [String: Tensor] = [:]
        for (index, head) in heads.enumerated() {
            logits[head] = outputs[index].reshaped([batch.size])
        }
        return logits
    }
}
