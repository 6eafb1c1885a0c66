import FunnelTensor

extension FieldEmbedding {
    /// The share of a batch's rows at or below which ``linearParts(_:threshold:)`` makes a
    /// field's distinct ids a part of their own, by default. Such a field's forward,
    /// weight-gradient and embedding-gradient products cost its distinct ids' rows, against two
    /// passes over the layer's output (the gathered sums forward, the gradient's segment sums
    /// backward). On ESMM's benchmark (16-wide embeddings, 256-wide first layers, batches of
    /// 1,024) training ran fastest with shares of 0.3–0.5 and slower at 0.15 and 0.75.
    public static let defaultDeduplicationThreshold = 0.5

    /// The embeddings of a batch as parts of a linear layer's input
    /// (``Linear/callAsFunction(parts:rectified:)-(LinearPart…)``), in field order: a field whose
    /// distinct ids number at most `threshold` × the batch's rows is an `.indexed` part (its
    /// distinct ids' vectors, looked up once, and each row's index among them), so the layer's
    /// three products for it cost its distinct ids' rows; each run of other fields is one
    /// `.rows` part `[batch, run·dimensions]`. Categorical fields of small vocabularies (a
    /// category, an hour, a device) repeat their ids many times over in a batch.
    ///
    /// With one table per field, or where no field qualifies, the single part is this module's
    /// output `[batch, fields·dimensions]`. The vectors' gradients reach the table as its
    /// lookups' do.
    ///
    /// - Parameter ids: `[batch × fields]` ids, row-major.
    public func linearParts(_ ids: [Int32], threshold: Double) -> [Tensor.LinearPart] {
        linearParts(ids, threshold: threshold, folded: nil)
    }

    /// ``linearParts(_:threshold:)`` where the fields `fold` folds are `.products` parts of its
    /// products.
    func linearParts(_ ids: [Int32], threshold: Double, folded fold: FieldFold?) -> [Tensor.LinearPart] {
        // How many lookups follow depends on the batch; a sharded table fetches its rows once.
        if tables.count == 1, tables[0].shard != nil, !tables[0].shard!.isFetching {
            return tables[0].fetchingRows(sharedRows(ids)) { linearParts(ids, threshold: threshold, folded: fold) }
        }
        let fields = fieldCount
        precondition(ids.count % fields == 0, "Funnel: \(ids.count) ids for \(fields) fields")
        let batch = ids.count / fields
        let whole: () -> [Tensor.LinearPart] = { [.rows(self(ids).reshaped([batch, fields * self.dimensions]))] }
        let starts = fold?.starts ?? Array(repeating: nil, count: fields)
        precondition(starts.count == fields, "Funnel: a fold of \(starts.count) fields for \(fields)")
        let deduplicates = batch > 1 && threshold > 0
        guard tables.count == 1, deduplicates || fold != nil else { return whole() }
        let rows = sharedRows(ids)
        let limit = Int((threshold * Double(batch)).rounded(.down))
        // Fields side by side: this runs before the towers, while the other thread has nothing to do.
        var columns = [(values: [Int32], inverse: [Int32])](repeating: ([], []), count: fields)
        if deduplicates {
            columns.withUnsafeMutableBufferPointer { columns in
                Compute.parallelFor(tasks: fields) { field in
                    guard starts[field] == nil else { return }
                    columns[field] = Tensor.LinearPart.distinct(rows, start: field, stride: fields, count: batch)
                }
            }
        }
        let repeated = (0..<fields).map { deduplicates && starts[$0] == nil && columns[$0].values.count <= limit }
        let separate = (0..<fields).map { repeated[$0] || starts[$0] != nil }
        guard separate.contains(true) else { return whole() }

        let distinctRows = zip(columns, repeated).flatMap { column, repeated in repeated ? column.values : [] }
        let vectors = distinctRows.isEmpty ? nil : tables[0](distinctRows)
        var parts: [Tensor.LinearPart] = []
        var start = 0
        var field = 0
        while field < fields {
            if let foldStart = starts[field], let fold {
                let shift = foldStart - offsets[field]
                let indices = (0..<batch).map { rows[$0 * fields + field] + shift }
                parts.append(.products(table: fold.products, indices: indices, width: dimensions))
                field += 1
                continue
            }
            if repeated[field] {
                let count = columns[field].values.count
                parts.append(.indexed(values: vectors!, range: start..<start + count, inverse: columns[field].inverse))
                start += count
                field += 1
                continue
            }
            let end = (field..<fields).first { separate[$0] } ?? fields
            let width = end - field
            var runRows = [Int32](repeating: 0, count: batch * width)
            for row in 0..<batch {
                for column in 0..<width { runRows[row * width + column] = rows[row * fields + field + column] }
            }
            parts.append(.rows(tables[0](runRows).reshaped([batch, width * dimensions])))
            field = end
        }
        return parts
    }
}
