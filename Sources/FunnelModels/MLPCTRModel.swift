import FunnelData
import FunnelNN
import FunnelTensor

/// A plain deep CTR model: field embeddings concatenated with the dense features, an MLP
/// tower, one logit (the "embedding + MLP" baseline of DLRM-style recommenders; Covington et
/// al., RecSys 2016). With `rar`, RAR's `u_aug` (``RecallAugmentation``; adaptation.md §1) joins
/// the tower's input and `β·L_rec` the loss.
///
/// Shapes: a batch of `n` rows → `[n, fields·dimensions + dense (+ 2·rar.embeddingDimensions)]`
/// → logits `[n]`.
public final class MLPCTRModel: Module, FeatureModel, RegisteredModel {
    public static let summary = "field embeddings + dense features → MLP tower → one logit (inputs: features, a label)"

    public struct Configuration: ModelConfiguration, Equatable {
        public var features = FeatureSelection()
        public var embeddingDimensions = 16
        public var hiddenDimensions = [64, 32]
        public var dropout: Float = 0
        /// RAR (adaptation.md §1); `nil` (the default): the model without it, bit for bit.
        public var rar: RARConfiguration?
        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
            try check.widths(hiddenDimensions, "hiddenDimensions")
            try check.dropout(dropout, "dropout")
            try rar?.validate(check.nested("rar"))
        }
    }

    public let input: FeatureInput
    public let tower: MLP
    public let label: String
    public let augmentation: RecallAugmentation?

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed)
        input = try FeatureInput(
            dataset: dataset, features: configuration.features, dimensions: configuration.embeddingDimensions,
            generator: &generator)
        tower = RecallAugmentation.tower(inputDimensions: input.width, rar: configuration.rar, seed: seed, generator: &generator) {
            MLP(
                inputDimensions: $0, hiddenDimensions: configuration.hiddenDimensions, outputDimensions: 1,
                dropout: configuration.dropout, generator: &$1)
        }
        label = configuration.features.label
        augmentation = try configuration.rar.map {
            try RecallAugmentation(dataset: dataset, configuration: $0, label: configuration.features.label, seed: seed)
        }
        super.init()
    }

    public var categorical: [String] { input.categorical }
    public var dense: [String] { input.dense }

    public var requirements: DataRequirements {
        DataRequirements(columns: Set(categorical + dense + [label]).union(augmentation?.columns ?? []))
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        guard let augmentation else { return [label: tower(parts: try input.linearParts(batch)).reshaped([batch.size])] }
        let augmented = try augmentation(batch)
        let logits = tower(parts: try input.linearParts(batch) + [.rows(augmented.vector)]).reshaped([batch.size])
        return RecallAugmentation.outputs(label: label, logits: logits, augmented)
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let loss = Losses.binaryCrossEntropy(logits: outputs[label]!, labels: try batch.tensor(label))
        return RecallAugmentation.objective(loss, outputs: outputs, configuration: augmentation?.configuration)
    }
}
