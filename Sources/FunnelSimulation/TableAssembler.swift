import FunnelData

/// Columns of a simulated table as plain arrays, turned into a ``Table`` in schema order.
///
/// Every categorical column of a simulated dataset uses an identity vocabulary (the simulator
/// draws the ids), so ids are stored as they are and, for grouping columns and join keys, also
/// kept as raw keys.
public struct TableAssembler {
    /// A column's values, possibly in several chunks (one per simulation task) that are
    /// concatenated straight into the table's memory. List offsets are per chunk (each chunk's
    /// start at 0) and rebased here.
    public enum Values {
        case ids([[Int32]])
        case floats([[Float]])
        case integers([[Int64]])
        case lists(ids: [[Int32]], offsets: [[Int64]])
        /// Timestamp lists (a ``ColumnSchema/Kind/timestampList`` column), offsets per chunk.
        case timestampLists(values: [[Int64]], offsets: [[Int64]])

        public static func ids(_ values: [Int32]) -> Values { .ids([values]) }
        public static func floats(_ values: [Float]) -> Values { .floats([values]) }
        public static func integers(_ values: [Int64]) -> Values { .integers([values]) }
        public static func lists(ids: [Int32], offsets: [Int64]) -> Values { .lists(ids: [ids], offsets: [offsets]) }
        public static func timestampLists(values: [Int64], offsets: [Int64]) -> Values {
            .timestampLists(values: [values], offsets: [offsets])
        }
    }

    public let name: String
    public let columns: [ColumnSchema]
    public var values: [String: Values] = [:]

    public init(name: String, columns: [ColumnSchema]) {
        self.name = name
        self.columns = columns
    }

    /// The table, its columns in schema order; `keyColumns` also keep raw keys (join keys).
    public func table(rowCount: Int, keyColumns: Set<String> = []) -> Table {
        let built = columns.map { schema -> Column in
            guard let value = values[schema.name] else {
                preconditionFailure("Funnel: simulated table '\(name)' lacks column '\(schema.name)'")
            }
            func check(_ count: Int) {
                precondition(count == rowCount, "Funnel: column '\(schema.name)' has \(count) rows, expected \(rowCount)")
            }
            switch value {
            case .ids(let chunks):
                let ids = ColumnBuffer(concatenating: chunks)
                check(ids.count)
                let keeps = keyColumns.contains(schema.name) || schema.role != .feature
                return Column(
                    schema: schema, values: .ids(ids),
                    keys: keeps ? ColumnBuffer(concatenating: chunks.map { $0.map(Int64.init) }) : nil)
            case .floats(let chunks):
                let floats = ColumnBuffer(concatenating: chunks)
                check(floats.count)
                return Column(schema: schema, values: .floats(floats))
            case .integers(let chunks):
                let integers = ColumnBuffer(concatenating: chunks)
                check(integers.count)
                return Column(schema: schema, values: .integers(integers))
            case .lists(let idChunks, let offsetChunks):
                let offsets = Self.rebased(offsetChunks, lengths: idChunks.map(\.count))
                check(offsets.count - 1)
                return Column(schema: schema, values: .lists(ids: ColumnBuffer(concatenating: idChunks), offsets: offsets))
            case .timestampLists(let valueChunks, let offsetChunks):
                let offsets = Self.rebased(offsetChunks, lengths: valueChunks.map(\.count))
                check(offsets.count - 1)
                return Column(
                    schema: schema,
                    values: .timestampLists(values: ColumnBuffer(concatenating: valueChunks), offsets: offsets))
            }
        }
        return Table(name: name, rowCount: rowCount, columns: built)
    }

    /// Per-chunk list offsets (each starting at 0) as one offset column over the concatenation.
    private static func rebased(_ chunks: [[Int64]], lengths: [Int]) -> ColumnBuffer<Int64> {
        var base: Int64 = 0
        var rebased: [[Int64]] = [[0]]
        for (offsets, length) in zip(chunks, lengths) {
            rebased.append(offsets.dropFirst().map { $0 + base })
            base += Int64(length)
        }
        return ColumnBuffer(concatenating: rebased)
    }
}
