import FunnelData
import FunnelNN
import FunnelTensor

/// A plain deep CTR model: field embeddings concatenated with the dense features, an MLP
/// tower, one logit (the "embedding + MLP" baseline of DLRM-style recommenders; Covington et
/// al., RecSys 2016).
///
/// Shapes: a batch of `n` rows → `[n, fields·dimensions + dense]` → logits `[n]`.
public final class MLPCTRModel: Module, FeatureModel, RegisteredModel {
    public static let summary = "field embeddings + dense features → MLP tower → one logit (inputs: features, a label)"

    public struct Configuration: ModelConfiguration, Equatable {
        public var features = FeatureSelection()
        public var embeddingDimensions = 16
        public var hiddenDimensions = [64, 32]
        public var dropout: Float = 0
        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
            try check.widths(hiddenDimensions, "hiddenDimensions")
            try check.dropout(dropout, "dropout")
        }
    }

    public let input: FeatureInput
    public let tower: MLP
    public let label: String

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed)
        input = try FeatureInput(
            dataset: dataset, features: configuration.features, dimensions: configuration.embeddingDimensions,
            generator: &generator)
        tower = MLP(
            inputDimensions: input.width, hiddenDimensions: configuration.hiddenDimensions,
            outputDimensions: 1, dropout: configuration.dropout, generator: &generator)
        label = configuration.features.label
        super.init()
    }

    public var categorical: [String] { input.categorical }
    public var dense: [String] { input.dense }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        [label: tower(try input(batch)).reshaped([batch.size])]
    }
}
