import FunnelData
import FunnelNN
import FunnelTensor

/// What every CTR backbone reads from a batch (watchtime.md §0.3): the field embeddings of the
/// categorical columns (torchfm's `FeaturesEmbedding`, one shared table with offsets), the
/// dense columns, and the first-order term over both (``FirstOrderTerm``).
///
/// Shapes: a batch of `n` rows → embeddings `[n, fields, dimensions]`, dense `[n, dense]`,
/// first-order logits `[n]`; ``Encoded/flattened`` is `[n, fields·dimensions + dense]`.
public final class CTRFieldInput: Module {
    /// The field embeddings, drawn from N(0, 0.05) as ``FeatureInput``'s; `nil` without
    /// categorical fields.
    public let embedding: FieldEmbedding?
    public let firstOrder: FirstOrderTerm
    public let categorical: [String]
    public let dense: [String]
    public let dimensions: Int

    /// One batch through the input.
    public struct Encoded {
        /// `[n, fields, dimensions]`, or `nil` without categorical fields.
        public var embeddings: Tensor?
        /// `[n, dense]`, or `nil` without dense columns.
        public var dense: Tensor?
        /// The first-order term, `[n]`.
        public var firstOrder: Tensor
        public var rows: Int

        /// The MLP's input: the flattened embeddings, then the dense columns,
        /// `[n, fields·dimensions + dense]`.
        public var flattened: Tensor {
            let parts = [embeddings?.reshaped([rows, -1]), dense].compactMap { $0 }
            return parts.count == 1 ? parts[0] : Tensor.concatenated(parts, alongAxis: 1)
        }
    }

    /// - Parameters:
    ///   - features: the selection, resolved against `dataset` (its label is not read); it must
    ///     name at least one column.
    ///   - dimensions: the embedding width per field.
    public init(dataset: Dataset, features: FeatureSelection, dimensions: Int, generator: inout RandomGenerator) throws {
        let (categorical, sizes, dense) = try features.resolve(in: dataset)
        guard !categorical.isEmpty || !dense.isEmpty else {
            throw StrictJSON.Error(
                description: "the feature selection has no categorical or dense column in dataset '\(dataset.schema.name)'")
        }
        embedding = sizes.isEmpty ? nil : FieldEmbedding(
            vocabularySizes: sizes, dimensions: dimensions, initializer: .normal(mean: 0, standardDeviation: 0.05),
            generator: &generator)
        firstOrder = FirstOrderTerm(vocabularySizes: sizes, denseColumns: dense.count, generator: &generator)
        self.categorical = categorical
        self.dense = dense
        self.dimensions = dimensions
        super.init()
    }

    /// The columns the batcher must gather.
    public var columns: Set<String> { Set(categorical + dense) }

    /// The width of ``Encoded/flattened``.
    public var flattenedWidth: Int { categorical.count * dimensions + dense.count }

    public func callAsFunction(_ batch: Batch) throws -> Encoded {
        let rows = batch.size
        let ids = categorical.isEmpty ? [] : try batch.idMatrix(categorical)
        let denseValues = dense.isEmpty ? nil : try batch.denseTensor(dense)
        return Encoded(
            embeddings: embedding.map { $0(ids) },
            dense: denseValues,
            firstOrder: firstOrder(ids: ids, dense: denseValues, rows: rows),
            rows: rows)
    }
}
