import Foundation

extension BASEBenchmark {
    /// Runs `torch_base.py --data DUMP --opt VARIANT [--compile]` and reads its `RESULT` line
    /// (inference at the training batch).
    static func runReference(script: String, data: String, variant: String, compiled: Bool, options: Options) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--data", data, "--opt", variant, "--threads", "\(options.threads)",
            "--warmup", "\(options.warmupBatches)", "--init-seed", "\(options.seed)",
        ] + (compiled ? ["--compile"] : []) + (options.referenceFunnelInit ? ["--funnel-init"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("#") || line.hasPrefix("epoch") || line.hasPrefix("inference") { options.log("  " + line) }
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") })
        else {
            throw ESMMBenchmark.ReferenceError(
                message: "\(script) --opt \(variant) failed (exit \(process.terminationStatus)); is PyTorch installed (`pip install torch==2.13.0+cpu`)?\n\(text.suffix(2000))")
        }
        let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any] ?? [:]
        func number(_ key: String) -> Double { (json[key] as? NSNumber)?.doubleValue ?? .nan }
        let inference = (json["infer_sps"] as? [String: Any])?["\(options.batchSize)"] as? [Any]
        return Result(
            system: "PyTorch \(json["torch"] as? String ?? "?") \(variant)\(compiled ? " compiled" : "")",
            trainSamplesPerSecond: number("train_sps_median"),
            inferenceSamplesPerSecond: (inference?.first as? NSNumber)?.doubleValue ?? .nan,
            peakResidentMebibytes: number("peak_rss_mib"),
            auc: (json["auc_epochs"] as? [NSNumber])?.first?.doubleValue ?? .nan,
            trainingRows: (json["rows"] as? NSNumber)?.intValue ?? 0, testRows: (json["test_rows"] as? NSNumber)?.intValue ?? 0,
            threads: options.threads, initialLogitDifference: (json["initial_logit_difference"] as? NSNumber)?.doubleValue)
    }

    /// A plain-text table (samples/s, peak MiB, test AUC) with Funnel's ratios to every
    /// reference row: training and inference speed (above 1: Funnel faster), memory, AUC gap.
    public static func table(_ results: [Result]) -> String {
        var lines = ["system                                   train/s   infer/s  peak MiB  AUC"]
        for result in results {
            lines.append(
                result.system.padding(toLength: 39, withPad: " ", startingAt: 0)
                    + String(format: "%9.0f %9.0f %9.0f %7.4f", result.trainSamplesPerSecond, result.inferenceSamplesPerSecond,
                             result.peakResidentMebibytes, result.auc))
        }
        if let funnel = results.first {
            lines.append("(\(funnel.trainingRows) training rows, \(funnel.testRows) test rows, \(funnel.threads) threads)")
            for reference in results.dropFirst() {
                lines.append(String(
                    format: "Funnel / %@: training %.2f×, inference %.2f×, memory %.2f×, AUC %+.4f",
                    reference.system, funnel.trainSamplesPerSecond / reference.trainSamplesPerSecond,
                    funnel.inferenceSamplesPerSecond / reference.inferenceSamplesPerSecond,
                    funnel.peakResidentMebibytes / reference.peakResidentMebibytes, funnel.auc - reference.auc)
                    + (reference.initialLogitDifference.map { String(format: " (same initial weights; untrained logits within %.1e)", $0) } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }
}
