import Foundation

/// A PyTorch reference script run in the same invocation as Funnel's benchmark: `python3 SCRIPT
/// ARGUMENTS…`, its progress lines passed on, and the JSON of its last `RESULT {…}` line read.
/// The scripts (`torch_esmm.py`, `torch_mmoe.py`, `torch_base.py`) all print that line.
struct ReferenceScript {
    /// What the run reported, with typed readers for the fields every script shares.
    struct Report {
        let json: [String: Any]

        /// A number field, NaN when absent.
        func number(_ key: String) -> Double { (json[key] as? NSNumber)?.doubleValue ?? .nan }
        /// The first value of a list field (the first epoch's AUC), NaN when absent.
        func first(_ key: String) -> Double { (json[key] as? [NSNumber])?.first?.doubleValue ?? .nan }
        /// The median inference samples/s measured at `batchSize`.
        func inference(batchSize: Int) -> Double {
            (((json["infer_sps"] as? [String: Any])?["\(batchSize)"] as? [Any])?.first as? NSNumber)?.doubleValue ?? .nan
        }
        /// "PyTorch <version> <variant>".
        func system(_ variant: String) -> String { "PyTorch \(json["torch"] as? String ?? "?") \(variant)" }
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    let script: String
    let arguments: [String]

    /// Refuses a reference script that is not a readable file, before any benchmark work.
    static func check(_ script: String?) throws {
        guard let script, !FileManager.default.isReadableFile(atPath: script) else { return }
        throw Failure(message: "--reference \(script): no such readable file (expected a PyTorch reference script, as Benchmarks/torch_base.py)")
    }

    /// Runs the script; lines starting with one of `progressPrefixes` go to `log`. Throws with the
    /// end of the output when the script fails or prints no result.
    func run(progressPrefixes: [String] = [], log: (String) -> Void = { _ in }) throws -> Report {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where progressPrefixes.contains(where: line.hasPrefix) { log("  " + line) }
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") })
        else {
            throw Failure(
                message: "\(script) \(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus)); is PyTorch installed (`pip install torch==2.13.0+cpu`)?\n\(text.suffix(2000))")
        }
        return Report(json: try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any] ?? [:])
    }
}
