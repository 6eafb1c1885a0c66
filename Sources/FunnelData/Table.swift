/// One split of a dataset (or a side table) held column by column.
///
/// Categorical columns hold ids already mapped through their vocabulary, so a batch is built
/// by copying, never by parsing. Columns whose role groups rows (user, item, day, group) and the
/// key columns of side tables also keep each value's raw 64-bit key, so users unseen in
/// training stay distinct for GAUC and joins.
public final class Table: @unchecked Sendable {
    /// The split's name (`train`, `test`, or a side table's name).
    public let name: String
    /// The number of rows.
    public let rowCount: Int
    /// The columns in schema order.
    public let columns: [Column]
    /// For each side table joined onto this one, the side-table row of every row (−1 where the
    /// side table has no row with that key).
    public let joins: [String: ColumnBuffer<Int32>]
    private let positions: [String: Int]

    public init(name: String, rowCount: Int, columns: [Column], joins: [String: ColumnBuffer<Int32>] = [:]) {
        self.name = name
        self.rowCount = rowCount
        self.columns = columns
        self.joins = joins
        positions = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1.schema.name, $0) })
    }

    /// The column with the given name.
    public func column(_ name: String) -> Column? {
        positions[name].map { columns[$0] }
    }

    /// The column with the given name, or an error naming it.
    public func requireColumn(_ name: String, reason: String) throws -> Column {
        guard let column = column(name) else {
            throw DataError.missingRequirement(dataset: self.name, column: name, reason: reason)
        }
        return column
    }

    /// A copy of this table with side-table joins attached.
    func joining(_ joins: [String: ColumnBuffer<Int32>]) -> Table {
        Table(name: name, rowCount: rowCount, columns: columns, joins: joins)
    }
}

/// One column: its schema, its values and, for grouping columns, the raw keys.
public struct Column: Sendable {
    public let schema: ColumnSchema
    public let values: ColumnValues
    /// The raw 64-bit key of every value (the integer itself for identity vocabularies, the
    /// token's hash otherwise); present for user, item, day and group columns and join keys.
    public let keys: ColumnBuffer<Int64>?

    public init(schema: ColumnSchema, values: ColumnValues, keys: ColumnBuffer<Int64>? = nil) {
        self.schema = schema
        self.values = values
        self.keys = keys
    }
}

/// The stored values of a column, by kind.
public enum ColumnValues: Sendable {
    /// Categorical ids in `0 ..< vocabulary size`.
    case ids(ColumnBuffer<Int32>)
    /// Dense features and labels.
    case floats(ColumnBuffer<Float>)
    /// Timestamps.
    case integers(ColumnBuffer<Int64>)
    /// Id lists: the ids of row r are `ids[offsets[r] ..< offsets[r + 1]]` (`offsets` has
    /// rowCount + 1 entries).
    case lists(ids: ColumnBuffer<Int32>, offsets: ColumnBuffer<Int64>)
    /// Timestamp lists: the times of row r are `values[offsets[r] ..< offsets[r + 1]]`
    /// (`offsets` has rowCount + 1 entries).
    case timestampLists(values: ColumnBuffer<Int64>, offsets: ColumnBuffer<Int64>)

    /// The ids of a categorical column.
    public var ids: ColumnBuffer<Int32>? {
        if case .ids(let values) = self { return values }
        return nil
    }

    /// The values of a dense or label column.
    public var floats: ColumnBuffer<Float>? {
        if case .floats(let values) = self { return values }
        return nil
    }

    /// The values of a timestamp column.
    public var integers: ColumnBuffer<Int64>? {
        if case .integers(let values) = self { return values }
        return nil
    }
}
