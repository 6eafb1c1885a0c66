import FunnelTensor

/// One mini-batch: the selected rows' values gathered column by column.
///
/// Columns of a side table appear under `"<side table>.<column>"`, with
/// `present["<side table>"]` telling which rows found their key (rows that did not hold zeros,
/// and id lists of nothing but padding).
public struct Batch: @unchecked Sendable {
    /// The rows of the table, in batch order.
    public let rows: [Int32]
    /// Categorical ids, `[size]` per column.
    public var ids: [String: [Int32]] = [:]
    /// Dense features and labels, `[size]` per column.
    public var floats: [String: [Float]] = [:]
    /// Timestamps, `[size]` per column.
    public var integers: [String: [Int64]] = [:]
    /// Id lists padded or truncated to a fixed length.
    public var sequences: [String: PaddedSequence] = [:]
    /// Timestamp lists padded or truncated to a fixed length, placed as their column's
    /// ``SequencePolicy`` says (the same rule as id lists).
    public var timestampSequences: [String: PaddedTimestamps] = [:]
    /// Raw keys of grouping columns (user, item, day, group), `[size]` per column.
    public var keys: [String: [Int64]] = [:]
    /// Per side table: 1 where the row found its key, 0 where not, `[size]`.
    public var present: [String: [Float]] = [:]
    /// Sampled negative ids per catalogue column, `[size × count]` row-major
    /// (``NegativeSampling``); training batches only.
    public var negatives: [String: [Int32]] = [:]

    /// The number of rows.
    public var size: Int { rows.count }

    /// Adds another batch's columns (of the same rows; gathered apart, as the batcher's
    /// threads do).
    mutating func merge(_ other: Batch) {
        ids.merge(other.ids) { $1 }
        floats.merge(other.floats) { $1 }
        integers.merge(other.integers) { $1 }
        sequences.merge(other.sequences) { $1 }
        timestampSequences.merge(other.timestampSequences) { $1 }
        keys.merge(other.keys) { $1 }
    }

    public init(rows: [Int32]) {
        self.rows = rows
    }

    /// The ids of several categorical columns side by side: `[size, columns.count]` row-major.
    public func idMatrix(_ columns: [String]) throws -> [Int32] {
        let values = try columns.map { name in
            guard let values = ids[name] else { throw missing(name, "a categorical column") }
            return values
        }
        var matrix = [Int32](repeating: 0, count: size * columns.count)
        for (column, values) in values.enumerated() {
            for row in 0..<size { matrix[row * columns.count + column] = values[row] }
        }
        return matrix
    }

    /// Dense columns side by side as a tensor of shape `[size, columns.count]`.
    public func denseTensor(_ columns: [String]) throws -> Tensor {
        let values = try columns.map { name in
            guard let values = floats[name] else { throw missing(name, "a dense or label column") }
            return values
        }
        let width = columns.count
        let matrix = Tensor.zeros([size, width])
        matrix.withUnsafeMutableBufferPointer { matrix in
            for (column, values) in values.enumerated() {
                values.withUnsafeBufferPointer { values in
                    for row in 0..<size { matrix[row * width + column] = values[row] }
                }
            }
        }
        return matrix
    }

    /// One dense or label column as a tensor of shape `[size]`.
    public func tensor(_ column: String) throws -> Tensor {
        guard let values = floats[column] else { throw missing(column, "a dense or label column") }
        return Tensor(values)
    }

    private func missing(_ column: String, _ kind: String) -> DataError {
        .missingRequirement(dataset: "batch", column: column, reason: "expected \(kind) gathered into the batch")
    }
}

/// Id lists of a batch at a fixed length: `ids` and `mask` are `[size, length]` row-major;
/// the mask is 1 at real ids and 0 at padding.
///
/// Padded positions hold `paddingID`, one past every real id: the size of the column's
/// vocabulary. An embedding table of `vocabulary size + 1` rows thus reads padding from a row
/// of its own, never from a real item's (id 0 is a real item in some vocabularies).
public struct PaddedSequence: Sendable {
    public var length: Int
    public var ids: [Int32]
    public var mask: [Float]
    /// The id at padded positions: the size of the column's vocabulary.
    public var paddingID: Int32

    public init(length: Int, ids: [Int32], mask: [Float], paddingID: Int32) {
        self.length = length
        self.ids = ids
        self.mask = mask
        self.paddingID = paddingID
    }

    /// The mask as a tensor of shape `[size, length]`.
    public var maskTensor: Tensor {
        Tensor(shape: [mask.count / Swift.max(length, 1), length], scalars: mask)
    }

    /// The rows `range` of the batch (a half-batch branch's).
    public func rows(_ range: Range<Int>) -> PaddedSequence {
        let positions = range.lowerBound * length..<range.upperBound * length
        return PaddedSequence(length: length, ids: Array(ids[positions]), mask: Array(mask[positions]), paddingID: paddingID)
    }
}

/// Timestamp lists of a batch at a fixed length: `values` and `mask` are `[size, length]`
/// row-major; `values` holds 0 at padding and the mask is 1 at real times, 0 at padding.
public struct PaddedTimestamps: Sendable {
    public var length: Int
    public var values: [Int64]
    public var mask: [Float]

    public init(length: Int, values: [Int64], mask: [Float]) {
        self.length = length
        self.values = values
        self.mask = mask
    }
}
