import Foundation

/// The canonical folder a converter fills: it writes each table as it is handed over, records
/// the counts, and writes `schema.json` last in ``finish()``.
struct ConversionOutput {
    let format: DatasetFormat
    let source: String
    let directory: String
    /// The dataset's name, columns, vocabulary split and notes (set by the converter).
    var name: String
    var columns: [ColumnSchema] = []
    var vocabularySplit = "train"
    var notes = ""
    private(set) var tables: [String: TableFile] = [:]
    private(set) var sideTables: [SideTableSchema] = []
    private(set) var splitCounts: [ConversionReport.TableCount] = []
    private(set) var sideCounts: [ConversionReport.TableCount] = []

    /// The folder the files end up in (``directory`` is where they are written first).
    let finalDirectory: String

    init(format: DatasetFormat, source: String, directory: String, finalDirectory: String? = nil) {
        self.format = format
        self.source = source
        self.directory = directory
        self.finalDirectory = finalDirectory ?? directory
        name = format.rawValue
    }

    /// The path of a file of the source folder.
    func sourcePath(_ file: String) -> String {
        source + "/" + file
    }

    /// Writes a split's file and records it.
    mutating func addSplit(_ table: CanonicalTableWriter) throws {
        try table.write(to: directory + "/" + table.file)
        tables[table.name] = TableFile(file: table.file, delimiter: ",", header: true)
        splitCounts.append(table.counts)
    }

    /// Records a split whose file is already in the output folder (a linked file).
    mutating func addSplit(_ counts: ConversionReport.TableCount) {
        tables[counts.name] = TableFile(file: counts.file, delimiter: ",", header: true)
        splitCounts.append(counts)
    }

    /// Writes a side table's file and records it, keyed by `key`.
    mutating func addSideTable(_ table: CanonicalTableWriter, key: [String]) throws {
        try table.write(to: directory + "/" + table.file)
        sideTables.append(
            SideTableSchema(
                name: table.name, table: TableFile(file: table.file), key: key,
                columns: table.columns))
        sideCounts.append(table.counts)
    }

    /// Writes `schema.json` (checked as the loader checks it) and returns the report.
    func finish() throws -> ConversionReport {
        let schema = DatasetSchema(
            name: name, tables: tables, columns: columns, sideTables: sideTables, badRows: .stop,
            vocabularySplit: vocabularySplit, notes: notes)
        try schema.validate(path: finalDirectory + "/schema.json")
        try schema.write(directory: directory)
        return ConversionReport(
            format: format, source: source, output: finalDirectory, splits: splitCounts,
            sideTables: sideCounts,
            notes: notes)
    }
}
