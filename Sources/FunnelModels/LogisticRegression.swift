import FunnelData
import FunnelNN
import FunnelTensor

/// Logistic regression over categorical and dense features: one learned weight per id of every
/// categorical field (row-sparse), one per dense column, and a bias.
///
/// Shapes: a batch of `n` rows → logits `[n]` under the label's name.
public final class LogisticRegression: Module, FeatureModel, RegisteredModel {
    public static let summary = "logistic regression over categorical ids and dense features (inputs: features, a label)"

    public struct Configuration: ModelConfiguration, Equatable {
        public var features = FeatureSelection()
        public init() {}
    }

    public let weights: FieldEmbedding?
    public let denseWeights: Linear?
    public let bias: Tensor
    public let categorical: [String]
    public let dense: [String]
    public let label: String

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        let (categorical, sizes, dense) = try configuration.features.resolve(in: dataset)
        var generator = RandomGenerator(seed: seed)
        weights = sizes.isEmpty ? nil : FieldEmbedding(vocabularySizes: sizes, dimensions: 1, initializer: .constant(0), generator: &generator)
        denseWeights = dense.isEmpty ? nil : Linear(dense.count, 1, bias: false, initializer: .constant(0), generator: &generator)
        bias = Tensor([0], requiresGradient: true)
        self.categorical = categorical
        self.dense = dense
        label = configuration.features.label
        super.init()
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        var logits = bias.broadcasted(to: [batch.size])
        if let weights {
            logits = logits + weights(try batch.idMatrix(categorical)).reshaped([batch.size, -1]).sum(alongAxes: [1])
        }
        if let denseWeights {
            logits = logits + denseWeights(try batch.denseTensor(dense)).reshaped([batch.size])
        }
        return [label: logits]
    }

}
