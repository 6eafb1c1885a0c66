import FunnelData
import FunnelNN
import FunnelTensor

/// A plain deep CTR model: field embeddings concatenated with the dense features, an MLP
/// tower, one logit (the "embedding + MLP" baseline of DLRM-style recommenders; Covington et
/// al., RecSys 2016).
///
/// Shapes: a batch of `n` rows → `[n, fields·dimensions + dense]` → logits `[n]`.
public final class MLPCTRModel: Module, FeatureModel {
    public struct Configuration: Codable, Sendable, Equatable {
        public var features = FeatureSelection()
        public var embeddingDimensions = 16
        public var hiddenDimensions = [64, 32]
        public var dropout: Float = 0
        public init() {}
    }

    public let embedding: FieldEmbedding?
    public let tower: MLP
    public let categorical: [String]
    public let dense: [String]
    public let label: String

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        let (categorical, sizes, dense) = try configuration.features.resolve(in: dataset)
        var generator = RandomGenerator(seed: seed)
        let dimensions = configuration.embeddingDimensions
        embedding = sizes.isEmpty ? nil : FieldEmbedding(
            vocabularySizes: sizes, dimensions: dimensions, initializer: .normal(mean: 0, standardDeviation: 0.05),
            generator: &generator)
        tower = MLP(
            inputDimensions: sizes.count * dimensions + dense.count, hiddenDimensions: configuration.hiddenDimensions,
            outputDimensions: 1, dropout: configuration.dropout, generator: &generator)
        self.categorical = categorical
        self.dense = dense
        label = configuration.features.label
        super.init()
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        var parts: [Tensor] = []
        if let embedding { parts.append(embedding(try batch.idMatrix(categorical)).reshaped([batch.size, -1])) }
        if !dense.isEmpty { parts.append(try batch.denseTensor(dense)) }
        let input = parts.count == 1 ? parts[0] : Tensor.concatenated(parts, alongAxis: 1)
        return [label: tower(input).reshaped([batch.size])]
    }

}
