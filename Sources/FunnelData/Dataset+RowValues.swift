extension DatasetSchema {
    /// A column of the splits by name, or of a side table as `"side.column"`.
    public func resolvedColumn(_ name: String) -> ColumnSchema? {
        if let column = column(named: name) { return column }
        guard let dot = name.firstIndex(of: ".") else { return nil }
        let side = String(name[..<dot])
        let columnName = String(name[name.index(after: dot)...])
        return sideTables.first { $0.name == side }?.columns.first { $0.name == columnName }
    }
}

extension Dataset {
    /// The values of a dense or label column for every row of a split, in row order — a side
    /// table's column (`"side.column"`) joined per row, 0 where the row found no key.
    /// Samplers read their conditions here (USD keeps the rows whose `user-day.portal_visit` is 1).
    public func rowValues(split: String, column name: String) throws -> [Float] {
        let table = try self.split(split)
        if let column = table.column(name) {
            guard let values = column.values.floats else {
                throw DataError.missingRequirement(dataset: schema.name, column: name, reason: "expected a dense or label column")
            }
            return (0..<table.rowCount).map { values[$0] }
        }
        guard let dot = name.firstIndex(of: "."), let join = table.joins[String(name[..<dot])],
            let side = sideTables[String(name[..<dot])], let column = side.column(String(name[name.index(after: dot)...]))
        else {
            throw DataError.missingRequirement(dataset: schema.name, column: name, reason: "no such column in split '\(split)' or its side tables")
        }
        guard let values = column.values.floats else {
            throw DataError.missingRequirement(dataset: schema.name, column: name, reason: "expected a dense or label column")
        }
        return (0..<table.rowCount).map { row in
            let sideRow = Int(join[row])
            return sideRow >= 0 ? values[sideRow] : 0
        }
    }

    /// Whether each row of a split has 1 in a label column (`"side.column"` joined per row):
    /// the rows a sampler keeps.
    public func rows(split: String, where column: String) throws -> [Bool] {
        try rowValues(split: split, column: column).map { $0 == 1 }
    }
}
