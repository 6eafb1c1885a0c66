import FunnelTensor

/// A linear layer's products with the vectors of a shared embedding table's fields, computed
/// once for inference (``FieldEmbedding/fold(into:column:budget:)``): for a folded field, row
/// `id` of its block is what the layer's columns for that field make of the id's vector. A
/// batch then adds one precomputed row per folded field and row
/// (``Tensor/LinearPart/products(table:indices:width:)``) where the layer would multiply each
/// row's vector, or each distinct id's, by its columns.
///
/// A snapshot: it holds the products of the parameters at the time it was made, and a model
/// that trains or loads parameters afterwards must drop it and fold again.
public struct FieldFold {
    /// The stacked blocks, `[Σ folded fields' rows, out]`.
    public let products: Tensor
    /// Each field's first row in ``products``, or `nil` where the field is not folded.
    public let starts: [Int32?]

    /// The bytes ``products`` holds.
    public var bytes: Int { products.count * MemoryLayout<Float>.stride }
}

extension FieldEmbedding {
    /// The bytes of products ``fold(into:column:budget:)`` may hold for one layer, by default.
    /// A folded field's products are `out / dimensions` times its embedding rows (16 times for
    /// ESMM's 16-wide embeddings and 256-wide first layers), and gathering rows of products that
    /// outgrow the caches costs more than multiplying. ESMM's benchmark (batches of 1,024, two
    /// towers) inferred 6–9 % faster than unfolded with budgets of 4 and 8 MiB (its fields of up
    /// to 1,274 and 2,069 ids); 16 MiB gained 9 % once and under 1 % in three alternated pairs,
    /// and 64 MiB lost 3 %.
    public static let defaultFoldBudget = 4 << 20

    /// The fields a fold of `outputs`-wide products takes within `budget` bytes: the fields of
    /// fewest rows first, while the stacked blocks fit. In field order.
    public func foldedFields(outputs: Int, budget: Int) -> [Int] {
        // A sharded table holds a rank's rows only: its products would miss the others.
        guard tables.count == 1, tables[0].shard == nil else { return [] }
        var taken: [Int] = []
        var bytes = 0
        for field in rowsPerField.indices.sorted(by: { (rowsPerField[$0], $0) < (rowsPerField[$1], $1) }) {
            let fieldBytes = rowsPerField[field] * outputs * MemoryLayout<Float>.stride
            guard bytes + fieldBytes <= budget else { break }
            bytes += fieldBytes
            taken.append(field)
        }
        return taken.sorted()
    }

    /// The fold of the fields ``foldedFields(outputs:budget:)`` picks into `linear`, whose input
    /// columns `column ..< column + fields·dimensions` read this module's output; `nil` when no
    /// field fits, the fields have a table each, or the layer has no bias or records its input
    /// (it then reads its input concatenated).
    ///
    /// Shapes: `linear.weight` `[out, in]` → products `[Σ folded fields' rows, out]`.
    public func fold(into linear: Linear, column: Int = 0, budget: Int = defaultFoldBudget) -> FieldFold? {
        guard linear.bias != nil, linear.inputRecording == nil else { return nil }
        let fields = foldedFields(outputs: linear.outputDimensions, budget: budget)
        guard !fields.isEmpty else { return nil }
        let products = withoutGradients {
            Tensor.foldedProducts(
                table: tables[0].table,
                rows: fields.map { Int(offsets[$0])..<Int(offsets[$0]) + rowsPerField[$0] },
                weight: linear.weight, columns: fields.map { column + $0 * dimensions })
        }
        var starts = [Int32?](repeating: nil, count: fieldCount)
        var start: Int32 = 0
        for field in fields {
            starts[field] = start
            start += Int32(rowsPerField[field])
        }
        return FieldFold(products: products, starts: starts)
    }

    /// The embeddings of a batch as parts of each folded layer's input, one list per fold, in
    /// the folds' order: a folded field is a `.products` part of its fold, and the other fields
    /// are the parts ``linearParts(_:threshold:)`` makes of them, shared by the lists. The folds
    /// must fold the same fields (layers of one width within one budget do).
    ///
    /// - Parameter ids: `[batch × fields]` ids, row-major.
    public func linearParts(_ ids: [Int32], threshold: Double, folds: [FieldFold]) -> [[Tensor.LinearPart]] {
        guard let first = folds.first else { return [linearParts(ids, threshold: threshold)] }
        precondition(folds.allSatisfy { $0.starts == first.starts }, "Funnel: folds of different fields")
        let parts = linearParts(ids, threshold: threshold, folded: first)
        return folds.map { fold in
            parts.map { part in
                guard case .products(_, let indices, let width) = part else { return part }
                return .products(table: fold.products, indices: indices, width: width)
            }
        }
    }
}
