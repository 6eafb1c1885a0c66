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
        return try staged(output: output) { staging in
            var folder = ConversionOutput(format: format, source: source, directory: staging, finalDirectory: output)
            try format.convert(source: source, into: &folder)
            return try folder.finish()
        }
    }

    /// Runs `body` with a fresh staging folder beside `output` and moves what it wrote into
    /// `output` (created if needed) only once it returned: a failure leaves nothing behind.
    static func staged<Result>(output: String, _ body: (_ staging: String) throws -> Result) throws -> Result {
        var isDirectory: ObjCBool = false
        let target = URL(fileURLWithPath: output).standardizedFileURL
        let parent = target.deletingLastPathComponent().path
        if FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw DataError.unreadable(path: output, reason: "exists and is not a folder; expected a folder for the dataset")
        }
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw DataError.unreadable(path: parent, reason: "cannot create the folder for the output")
        }
        // Everything is written into a staging folder beside the output and moved into place
        // only once the whole conversion succeeded: a failure on a later file leaves nothing.
        let staging =
            parent + "/." + target.lastPathComponent
            + ".converting-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(staging, 0o755) == 0 else {
            throw DataError.unreadable(
                path: parent, reason: "cannot create a staging folder there: \(String(cString: strerror(errno)))")
        }
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let result = try body(staging)
        try publish(staging, to: target.path)
        return result
    }

    /// Moves the staged files into `output`: the whole folder when there is none yet, otherwise
    /// file by file (replacing files of the same names, leaving others alone) with `schema.json`
    /// last.
    private static func publish(_ staging: String, to output: String) throws {
        if !FileManager.default.fileExists(atPath: output) {
            guard rename(staging, output) != 0 else { return }
            if errno != EEXIST && errno != ENOTEMPTY {
                throw DataError.unreadable(
                    path: output, reason: "cannot move the converted files there: \(String(cString: strerror(errno)))")
            }
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: staging).sorted()
        } catch {
            throw DataError.unreadable(path: staging, reason: "cannot list the converted files")
        }
        for name in names.filter({ $0 != "schema.json" }) + (names.contains("schema.json") ? ["schema.json"] : []) {
            guard rename(staging + "/" + name, output + "/" + name) == 0 else {
                throw DataError.unreadable(
                    path: output + "/" + name,
                    reason: "cannot move the converted file there: \(String(cString: strerror(errno)))")
            }
        }
    }
}
