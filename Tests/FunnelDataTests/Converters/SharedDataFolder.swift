import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelData

typealias SharedDataFolder = SharedData

extension SharedData {
    /// The folder of a kept format, or an error saying where it was looked for.
    static func folder(for format: DatasetFormat) throws -> String {
        try folder(named: format.sharedFolder ?? format.rawValue)
    }
}

/// A fresh temporary folder, removed with its contents when released.
final class ScratchFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "funnel-convert-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes a text file inside the folder; returns its path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: file, atomically: false, encoding: .utf8)
        return file
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A kept dataset converted into a scratch folder and loaded back from its text files (the
/// folder is removed once loaded: the loaded columns live in memory).
///
/// Suites keep one in a `static let` so that a set is converted once per test run.
struct ConvertedDataset: Sendable {
    let report: ConversionReport
    let dataset: Dataset
    let summary: DatasetSummary

    /// Converts `format` from `shared/data` (or from `source`) and loads the result.
    init(_ format: DatasetFormat, source: String? = nil) throws {
        let scratch = try ScratchFolder()
        let output = scratch.path + "/" + format.rawValue
        report = try DatasetConverter.convert(
            format, source: source ?? SharedDataFolder.folder(for: format), output: output)
        dataset = try Dataset.load(output, cache: .ignore)
        summary = DatasetSummary(dataset)
    }

    /// Converts once per run: the value of a suite's `static let`.
    static func once(_ format: DatasetFormat) -> Result<ConvertedDataset, any Error> {
        Result { try ConvertedDataset(format) }
    }

    /// The summary of a split or side table.
    func table(_ name: String) throws -> DatasetSummary.TableStatistics {
        try #require(summary.tables.first { $0.name == name }, "no table '\(name)'")
    }

    /// The summary of one column of a split or side table.
    func column(_ column: String, in table: String) throws -> DatasetSummary.ColumnStatistics {
        try #require(
            self.table(table).columns.first { $0.name == column },
            "no column '\(column)' in '\(table)'")
    }

    /// The rows of a split or side table, per the loaded data.
    func rows(_ table: String) throws -> Int {
        try self.table(table).rows
    }

    /// The positives of a label, per the loaded data (rate × rows, which is a whole number).
    func positives(_ label: String, in table: String) throws -> Int {
        let rate = try #require(
            column(label, in: table).positiveRate, "'\(label)' has no positive rate")
        return Int((rate * Double(try rows(table))).rounded())
    }

    /// The raw keys of a column that keeps them (user, item, group and join-key columns).
    func keys(_ column: String, in split: String) throws -> [Int64] {
        let table =
            try dataset.splits[split] ?? #require(dataset.sideTables[split], "no table '\(split)'")
        return try #require(table.column(column)?.keys, "'\(column)' keeps no keys").array
    }

    /// Checks that the report and the loaded data agree on every table's rows and labels.
    func expectReportMatchesLoadedData(sourceLocation: SourceLocation = #_sourceLocation) throws {
        for table in report.splits + report.sideTables {
            #expect(
                try rows(table.name) == table.rows, "rows of \(table.name)",
                sourceLocation: sourceLocation)
            for label in table.labels {
                #expect(
                    try positives(label.name, in: table.name) == label.positives,
                    "\(label.name) in \(table.name)",
                    sourceLocation: sourceLocation)
            }
        }
        for loaded in dataset.reports {
            #expect(
                loaded.rowsSkipped == 0 && loaded.rowsRepaired == 0, "\(loaded.summary)",
                sourceLocation: sourceLocation)
        }
    }
}
