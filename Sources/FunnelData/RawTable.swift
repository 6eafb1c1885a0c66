/// A table as read from text, before vocabularies turn raw keys into ids.
struct RawTable {
    var rowCount = 0
    var columns: [RawColumn]
    /// The line each row started on (only when the reader was asked to record them).
    var lines: [Int] = []
}

/// One column as read: categorical values and id-list elements as raw 64-bit keys, timestamps
/// and timestamp-list elements as integers.
struct RawColumn {
    let schema: ColumnSchema
    var keys: [Int64] = []
    var floats: [Float] = []
    var integers: [Int64] = []
    var listOffsets: [Int64] = [0]

    /// The key of a missing categorical value (always mapped to id 0).
    static let missingKey = Int64.min

    init(schema: ColumnSchema, capacity: Int) {
        self.schema = schema
        switch schema.kind {
        case .categorical: keys.reserveCapacity(capacity)
        case .dense, .label: floats.reserveCapacity(capacity)
        case .timestamp: integers.reserveCapacity(capacity)
        case .idList:
            keys.reserveCapacity(capacity)
            listOffsets.reserveCapacity(capacity + 1)
        case .timestampList:
            integers.reserveCapacity(capacity)
            listOffsets.reserveCapacity(capacity + 1)
        }
    }

    /// Appends a missing value: the missing key, NaN, the smallest integer or an empty list.
    mutating func appendMissing() {
        switch schema.kind {
        case .categorical: keys.append(Self.missingKey)
        case .dense, .label: floats.append(.nan)
        case .timestamp: integers.append(.min)
        case .idList: listOffsets.append(Int64(keys.count))
        case .timestampList: listOffsets.append(Int64(integers.count))
        }
    }

    /// Drops everything beyond the first `rows` rows (undoing a partly read bad row).
    mutating func truncate(toRows rows: Int) {
        switch schema.kind {
        case .categorical: keys.removeSubrange(rows...)
        case .dense, .label: floats.removeSubrange(rows...)
        case .timestamp: integers.removeSubrange(rows...)
        case .idList:
            if listOffsets.count > rows + 1 {
                keys.removeSubrange(Int(listOffsets[rows])...)
                listOffsets.removeSubrange((rows + 1)...)
            }
        case .timestampList:
            if listOffsets.count > rows + 1 {
                integers.removeSubrange(Int(listOffsets[rows])...)
                listOffsets.removeSubrange((rows + 1)...)
            }
        }
    }
}
