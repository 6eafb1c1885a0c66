/// A check on the values of a dense or label column, beyond being a number.
public enum ValueCheck: Sendable {
    /// Finite: no `inf`, `-inf` or `nan` (and nothing beyond Float's range).
    case finite
    /// Exactly 0 or 1.
    case binary
}

extension Dataset {
    /// Reads one delimited file outside any dataset folder (for example a file of predictions)
    /// with the given columns; vocabularies are built from the file itself.
    /// - Returns: the table and what the load did.
    public static func readTable(
        path: String, columns: [ColumnSchema], delimiter: String = ",", badRows: BadRowPolicy = .stop
    ) throws -> (Table, LoadReport) {
        let (table, report, _) = try readLocatedTable(path: path, columns: columns, delimiter: delimiter, badRows: badRows)
        return (table, report)
    }

    /// Like ``readTable(path:columns:delimiter:badRows:)``, with `checks` on the values of some
    /// columns (refused with file, line and column), and the line each row started on (to locate
    /// a problem found later in a row).
    public static func readLocatedTable(
        path: String, columns: [ColumnSchema], delimiter: String = ",", badRows: BadRowPolicy = .stop,
        checks: [String: ValueCheck] = [:]
    ) throws -> (table: Table, report: LoadReport, lines: [Int]) {
        let file = TableFile(file: path, delimiter: delimiter)
        let schema = DatasetSchema(
            name: path, tables: ["table": file], columns: columns, badRows: badRows, vocabularySplit: "table")
        for (index, column) in columns.enumerated() {
            try column.validate(field: "columns[\(index)]") { field, problem in
                .invalidSchema(path: path, reason: "field '\(field)' \(problem)")
            }
        }
        for (index, column) in columns.enumerated() where columns[..<index].contains(where: { $0.name == column.name }) {
            throw DataError.invalidSchema(
                path: path, reason: "column '\(column.name.truncatedForMessage())' is asked for twice")
        }
        var reader = TableReader(path: path, table: file, columns: columns, badRows: badRows)
        reader.checks = checks
        reader.recordLines = true
        var (raw, report) = try reader.read()
        let loader = DatasetTextLoader(directory: "", schema: schema)
        let vocabularies = loader.buildVocabularies(training: raw, sides: [])
        let resolved = raw.columns.map { loader.resolve($0, vocabularies: vocabularies, keepKeys: false, report: &report) }
        let lines = raw.lines
        raw.columns = []
        return (Table(name: path, rowCount: raw.rowCount, columns: resolved), report, lines)
    }
}
