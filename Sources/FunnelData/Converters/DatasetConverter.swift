import Foundation

/// Turns a real dataset, as its authors ship it, into Funnel's canonical dataset folder:
/// `schema.json` plus one CSV per split and per side table, which
/// ``Dataset/load(_:cache:rebuilt:)`` reads.
///
/// ```swift
/// let report = try DatasetConverter.convert(.coat, source: "../shared/data/coat", output: "data/coat")
/// print(report.text)                       // rows and label rates per split
/// let coat = try Dataset.load("data/coat")
/// ```
///
/// Every converter keeps the source's own splits where it has them, names labels by what they
/// mean (`click`, `conversion`, `rating`, `watch_time`, …), gives user and item columns their
/// roles, and records in the schema's `notes` the source, the licence and every decision it
/// took. A malformed source row stops the conversion with a ``DataError`` naming the file, the
/// line and the column. Every file is written through ``AtomicFile`` (a temporary name, then a
/// rename), and `schema.json` last, so an interrupted conversion never leaves a folder that
/// loads with half its data.
public enum DatasetConverter {
    /// Converts one dataset.
    /// - Parameters:
    ///   - format: the layout of `source`.
    ///   - source: the folder holding the dataset's files (for the kept sets, the matching
    ///     folder of `shared/data`; see ``DatasetFormat/sharedFolder``).
    ///   - output: the canonical folder to write; created if needed. Files of the same names are
    ///     replaced, other files are left alone.
    /// - Returns: the rows and label rates of every split and side table written.
    @discardableResult
    public static func convert(_ format: DatasetFormat, source: String, output: String) throws
        -> ConversionReport
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw DataError.unreadable(
                path: source, reason: "no such folder (the \(format.rawValue) source)")
        }
        do {
            try FileManager.default.createDirectory(
                atPath: output, withIntermediateDirectories: true)
        } catch {
            throw DataError.unreadable(
                path: output,
                reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        var folder = ConversionOutput(format: format, source: source, directory: output)
        try format.convert(source: source, into: &folder)
        return try folder.finish()
    }
}
