import FunnelData
import FunnelNN
import FunnelTensor

/// The input layer of the embedding + MLP models: one embedding per selected categorical
/// field (one shared table with offsets), concatenated with the selected dense columns.
///
/// Shapes: a batch of `n` rows → `[n, fields·dimensions + dense]`.
public final class FeatureInput: Module {
    public let embedding: FieldEmbedding?
    public let categorical: [String]
    public let dense: [String]
    public let dimensions: Int
    /// A field is multiplied by the first layer per distinct id when its distinct ids in a batch
    /// number at most this share of the rows (``FieldEmbedding/linearParts(_:threshold:)``,
    /// ``FieldEmbedding/defaultDeduplicationThreshold``); 0 multiplies every row.
    public var deduplicationThreshold = FieldEmbedding.defaultDeduplicationThreshold

    /// - Parameters:
    ///   - features: the selection, resolved against `dataset`.
    ///   - dimensions: the embedding width per field.
    public init(dataset: Dataset, features: FeatureSelection, dimensions: Int, generator: inout RandomGenerator) throws {
        let (categorical, sizes, dense) = try features.resolve(in: dataset)
        embedding = sizes.isEmpty ? nil : FieldEmbedding(
            vocabularySizes: sizes, dimensions: dimensions, initializer: .normal(mean: 0, standardDeviation: 0.05),
            generator: &generator)
        self.categorical = categorical
        self.dense = dense
        self.dimensions = dimensions
        super.init()
    }

    /// The width of the output.
    public var width: Int { categorical.count * dimensions + dense.count }

    /// The columns the batcher must gather.
    public var columns: Set<String> { Set(categorical + dense) }

    /// The embeddings and dense columns concatenated, `[n, width]`.
    public func callAsFunction(_ batch: Batch) throws -> Tensor {
        try parts(batch, threshold: 0).concatenated
    }

    /// The output before concatenation, for a first layer that reads it where it lies and
    /// multiplies a repeated field's distinct ids only (``MLP/callAsFunction(parts:)-(LinearPart…)``):
    /// the embeddings as ``FieldEmbedding/linearParts(_:threshold:)`` gives them with
    /// ``deduplicationThreshold``, then the dense columns `[n, dense]`, whichever exist.
    public func linearParts(_ batch: Batch) throws -> [Tensor.LinearPart] {
        try parts(batch, threshold: deduplicationThreshold)
    }

    /// The fold of the embedding fields into `linear`, a first layer reading ``linearParts(_:)``
    /// (``FieldEmbedding/fold(into:column:budget:)``); `nil` when no field fits `budget` bytes.
    public func fold(into linear: Linear, budget: Int = FieldEmbedding.defaultFoldBudget) -> FieldFold? {
        embedding?.fold(into: linear, column: 0, budget: budget)
    }

    /// ``linearParts(_:)`` for each folded layer, in the folds' order: their folded fields are
    /// `.products` parts (``FieldEmbedding/linearParts(_:threshold:folds:)``). For inference.
    public func linearParts(_ batch: Batch, folds: [FieldFold]) throws -> [[Tensor.LinearPart]] {
        guard let embedding, !folds.isEmpty else { return [try linearParts(batch)] }
        let dense = self.dense.isEmpty ? [] : [Tensor.LinearPart.rows(try batch.denseTensor(self.dense))]
        return embedding.linearParts(try batch.idMatrix(categorical), threshold: deduplicationThreshold, folds: folds)
            .map { $0 + dense }
    }

    private func parts(_ batch: Batch, threshold: Double) throws -> [Tensor.LinearPart] {
        var parts: [Tensor.LinearPart] = []
        if let embedding { parts += embedding.linearParts(try batch.idMatrix(categorical), threshold: threshold) }
        if !dense.isEmpty { parts.append(.rows(try batch.denseTensor(dense))) }
        precondition(!parts.isEmpty, "Funnel: a feature input without features")
        return parts
    }
}
