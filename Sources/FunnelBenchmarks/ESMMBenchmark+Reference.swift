import Foundation

extension ESMMBenchmark {
    /// Runs `torch_esmm.py --epochs 1 --opt VARIANT` and reads its `RESULT` line.
    static func runReference(script: String, variant: String, options: Options, rows: (train: Int, test: Int)) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--epochs", "1", "--opt", variant, "--threads", "\(options.threads)",
            "--rows", "\(rows.train)", "--test-rows", "\(rows.test)",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") })
        else {
            throw ReferenceError(message: "\(script) --opt \(variant) failed (exit \(process.terminationStatus)); is PyTorch installed (`pip install torch==2.13.0+cpu`)?\n\(text.suffix(2000))")
        }
        let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any] ?? [:]
        func number(_ key: String) -> Double { (json[key] as? NSNumber)?.doubleValue ?? .nan }
        let inference = (json["infer_sps"] as? [String: Any])?["1024"] as? [Any]
        return Result(
            system: "PyTorch \(json["torch"] as? String ?? "?") \(variant)",
            trainSamplesPerSecond: number("train_sps_median"),
            inferenceSamplesPerSecond: (inference?.first as? NSNumber)?.doubleValue ?? .nan,
            peakResidentMebibytes: number("peak_rss_mib"),
            ctrAUC: (json["auc_ctr_epochs"] as? [NSNumber])?.first?.doubleValue ?? .nan,
            ctcvrAUC: (json["auc_ctcvr_epochs"] as? [NSNumber])?.first?.doubleValue ?? .nan,
            trainingRows: rows.train, testRows: rows.test, threads: options.threads)
    }

    /// A plain-text table with ratios against the first (Funnel) row.
    public static func table(_ results: [Result]) -> String {
        var lines = ["system                          train/s   infer/s  peak MiB  AUC CTR  AUC CTCVR"]
        for result in results {
            lines.append(
                result.system.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: "%9.0f %9.0f %9.0f %8.4f %10.4f", result.trainSamplesPerSecond, result.inferenceSamplesPerSecond,
                             result.peakResidentMebibytes, result.ctrAUC, result.ctcvrAUC))
        }
        if let funnel = results.first {
            for reference in results.dropFirst() {
                lines.append(String(
                    format: "Funnel / %@: training %.2f×, inference %.2f×, memory %.2f×, AUC %+.4f / %+.4f",
                    reference.system, funnel.trainSamplesPerSecond / reference.trainSamplesPerSecond,
                    funnel.inferenceSamplesPerSecond / reference.inferenceSamplesPerSecond,
                    funnel.peakResidentMebibytes / reference.peakResidentMebibytes,
                    funnel.ctrAUC - reference.ctrAUC, funnel.ctcvrAUC - reference.ctcvrAUC))
            }
        }
        return lines.joined(separator: "\n")
    }

    struct ReferenceError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
