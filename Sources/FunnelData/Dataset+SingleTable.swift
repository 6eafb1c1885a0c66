extension Dataset {
    /// Reads one delimited file outside any dataset folder (for example a file of predictions)
    /// with the given columns; vocabularies are built from the file itself.
    /// - Returns: the table and what the load did.
    public static func readTable(
        path: String, columns: [ColumnSchema], delimiter: String = ",", badRows: BadRowPolicy = .stop
    ) throws -> (Table, LoadReport) {
        let file = TableFile(file: path, delimiter: delimiter)
        let schema = DatasetSchema(
            name: path, tables: ["table": file], columns: columns, badRows: badRows, vocabularySplit: "table")
        try schema.validate(path: path)
        var (raw, report) = try TableReader(path: path, table: file, columns: columns, badRows: badRows).read()
        let loader = DatasetTextLoader(directory: "", schema: schema)
        let vocabularies = loader.buildVocabularies(training: raw, sides: [])
        let resolved = raw.columns.map { loader.resolve($0, vocabularies: vocabularies, keepKeys: false, report: &report) }
        raw.columns = []
        return (Table(name: path, rowCount: raw.rowCount, columns: resolved), report)
    }
}
