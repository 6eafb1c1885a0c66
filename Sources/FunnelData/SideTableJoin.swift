/// Joins side tables onto a split: for every row, the index of the side-table row with the same
/// key (−1 when there is none). The side table's values are stored once per key — a month of
/// daily intent tokens once per user-day, not copied onto every exposure — and copied into a
/// batch only when the batch is built.
enum SideTableJoin {
    static func joins(
        of table: Table, with sideTables: [String: Table], schema: DatasetSchema, report: inout LoadReport
    ) throws -> [String: ColumnBuffer<Int32>] {
        try joins(of: table, indexes: indexes(of: sideTables, schema: schema), schema: schema, report: &report)
    }

    /// The index of every side table's keys; built once, it joins any number of tables.
    static func indexes(of sideTables: [String: Table], schema: DatasetSchema) throws -> [String: JoinIndex] {
        var indexes: [String: JoinIndex] = [:]
        for side in schema.sideTables {
            guard let sideTable = sideTables[side.name] else { continue }
            let sideKeys = try side.key.map { try keys(of: sideTable, column: $0) }
            indexes[side.name] = try JoinIndex(keys: sideKeys, rows: sideTable.rowCount) { row in
                DataError.badValue(
                    FileLocation(file: side.table.file, line: row + (side.table.header ? 2 : 1)),
                    found: side.key.enumerated().map { "\($1)=\(sideKeys[$0][row])" }.joined(separator: ", "),
                    expected: "one row per key of side table '\(side.name)'")
            }
        }
        return indexes
    }

    /// Joins `table` through prebuilt `indexes`.
    static func joins(
        of table: Table, indexes: [String: JoinIndex], schema: DatasetSchema, report: inout LoadReport
    ) throws -> [String: ColumnBuffer<Int32>] {
        var joins: [String: ColumnBuffer<Int32>] = [:]
        for side in schema.sideTables {
            guard let index = indexes[side.name] else { continue }
            let rowKeys = try side.key.map { try keys(of: table, column: $0) }
            var rows = [Int32](repeating: -1, count: table.rowCount)
            var key = [Int64](repeating: 0, count: rowKeys.count)
            var unmatched = 0
            for row in 0..<table.rowCount {
                for position in rowKeys.indices { key[position] = rowKeys[position][row] }
                let match = index.row(for: key)
                rows[row] = match
                if match < 0 { unmatched += 1 }
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

/// Finds the side-table row of a key: a direct table when the keys are small non-negative
/// integers (ids and day numbers, the common case), a hash map otherwise.
struct JoinIndex {
    private var direct: [Int32] = []
    private var minimums: [Int64] = []
    private var extents: [Int64] = []
    private var hashed: [JoinKey: Int32] = [:]

    init(keys: [ColumnBuffer<Int64>], rows: Int, duplicate: (Int) -> DataError) throws {
        precondition(keys.count <= 3, "Funnel: side tables are keyed by at most three columns")
        minimums = keys.map { $0.buffer.min() ?? 0 }
        // Hashed keys span all of Int64: their range overflows and they take the hash map.
        let limit = Int64(Swift.max(4 * rows, 1 << 20))
        var cells: Int64 = 1
        for (column, minimum) in zip(keys, minimums) {
            let (span, overflow) = (column.buffer.max() ?? 0).subtractingReportingOverflow(minimum)
            let extent = overflow || span >= limit ? limit + 1 : span + 1
            extents.append(extent)
            cells = extent > limit || cells > limit / extent ? limit + 1 : cells * extent
        }
        if cells <= limit {
            direct = [Int32](repeating: -1, count: Int(cells))
            for row in 0..<rows {
                let cell = self.cell(keys.map { $0[row] })!
                guard direct[cell] < 0 else { throw duplicate(row) }
                direct[cell] = Int32(row)
            }
        } else {
            hashed.reserveCapacity(rows)
            for row in 0..<rows {
                let key = JoinKey(keys.map { $0[row] })
                guard hashed[key] == nil else { throw duplicate(row) }
                hashed[key] = Int32(row)
            }
        }
    }

    /// The row with this key, or −1.
    func row(for key: [Int64]) -> Int32 {
        if direct.isEmpty { return hashed[JoinKey(key)] ?? -1 }
        guard let cell = cell(key) else { return -1 }
        return direct[cell]
    }

    private func cell(_ key: [Int64]) -> Int? {
        var cell: Int64 = 0
        for (position, value) in key.enumerated() {
            let offset = value - minimums[position]
            guard offset >= 0, offset < extents[position] else { return nil }
            cell = cell * extents[position] + offset
        }
        return Int(cell)
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
