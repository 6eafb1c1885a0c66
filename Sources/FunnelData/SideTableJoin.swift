/// Joins side tables onto a split: for every row, the index of the side-table row with the same
/// key (−1 when there is none). The side table's values are stored once per key — a month of
/// daily intent tokens once per user-day, not copied onto every exposure — and copied into a
/// batch only when the batch is built.
enum SideTableJoin {
    static func joins(
        of table: Table, with sideTables: [String: Table], schema: DatasetSchema, report: inout LoadReport
    ) throws -> [String: ColumnBuffer<Int32>] {
        var joins: [String: ColumnBuffer<Int32>] = [:]
        for side in schema.sideTables {
            guard let sideTable = sideTables[side.name] else { continue }
            let sideKeys = try side.key.map { try keys(of: sideTable, column: $0) }
            var index: [JoinKey: Int32] = [:]
            index.reserveCapacity(sideTable.rowCount)
            for row in 0..<sideTable.rowCount {
                let key = JoinKey(sideKeys.map { $0[row] })
                guard index[key] == nil else {
                    throw DataError.badValue(
                        FileLocation(file: side.table.file, line: row + (side.table.header ? 2 : 1)),
                        found: side.key.enumerated().map { "\($1)=\(sideKeys[$0][row])" }.joined(separator: ", "),
                        expected: "one row per key of side table '\(side.name)'")
                }
                index[key] = Int32(row)
            }
            let rowKeys = try side.key.map { try keys(of: table, column: $0) }
            var rows = [Int32](repeating: -1, count: table.rowCount)
            var unmatched = 0
            for row in 0..<table.rowCount {
                if let match = index[JoinKey(rowKeys.map { $0[row] })] {
                    rows[row] = match
                } else {
                    unmatched += 1
                }
            }
            if unmatched > 0 { report.unmatchedJoins[side.name, default: 0] += unmatched }
            joins[side.name] = ColumnBuffer(rows)
        }
        return joins
    }

    /// The raw keys of a key column (categorical keys, or the integers of a timestamp).
    static func keys(of table: Table, column name: String) throws -> ColumnBuffer<Int64> {
        let column = try table.requireColumn(name, reason: "it is a side-table key")
        if let keys = column.keys { return keys }
        if let integers = column.values.integers { return integers }
        throw DataError.missingRequirement(
            dataset: table.name, column: name, reason: "a side-table key must be categorical or a timestamp")
    }
}

/// A composite key of up to three raw keys.
struct JoinKey: Hashable {
    var first: Int64
    var second: Int64
    var third: Int64

    init(_ keys: [Int64]) {
        precondition(keys.count <= 3, "Funnel: side tables are keyed by at most three columns")
        first = keys.count > 0 ? keys[0] : 0
        second = keys.count > 1 ? keys[1] : 0
        third = keys.count > 2 ? keys[2] : 0
    }
}
