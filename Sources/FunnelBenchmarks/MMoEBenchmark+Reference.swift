import Foundation

extension MMoEBenchmark {
    /// Runs `torch_mmoe.py --epochs 1 --opt VARIANT` and reads its `RESULT` line (inference at
    /// the training batch, 2048).
    static func runReference(script: String, variant: String, options: Options, rows: (train: Int, test: Int)) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--epochs", "1", "--opt", variant, "--threads", "\(options.threads)",
            "--rows", "\(rows.train)", "--test-rows", "\(rows.test)", "--batch", "\(options.batchSize)",
            "--warmup", "\(options.warmupBatches)", "--init-seed", "\(options.seed)",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("#") || line.hasPrefix("epoch") { options.log("  " + line) }
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") })
        else {
            throw ESMMBenchmark.ReferenceError(message: "\(script) --opt \(variant) failed (exit \(process.terminationStatus)); is PyTorch installed (`pip install torch==2.13.0+cpu`)?\n\(text.suffix(2000))")
        }
        let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any] ?? [:]
        func number(_ key: String) -> Double { (json[key] as? NSNumber)?.doubleValue ?? .nan }
        let inference = (json["infer_sps"] as? [String: Any])?["\(options.batchSize)"] as? [Any]
        return Result(
            system: "PyTorch \(json["torch"] as? String ?? "?") \(variant)",
            trainSamplesPerSecond: number("train_sps_median"),
            inferenceSamplesPerSecond: (inference?.first as? NSNumber)?.doubleValue ?? .nan,
            peakResidentMebibytes: number("peak_rss_mib"),
            ctrAUC: (json["auc_ctr_epochs"] as? [NSNumber])?.first?.doubleValue ?? .nan,
            ctcvrAUC: (json["auc_ctcvr_epochs"] as? [NSNumber])?.first?.doubleValue ?? .nan,
            trainingRows: rows.train, testRows: rows.test, threads: options.threads)
    }

    /// The table of ``ESMMBenchmark/table(_:)`` (columns AUC CTR, AUC CTCVR; ratios against
    /// Funnel's row) and the issue's bar: training ≥ 1.5× PyTorch's samples/s, both AUCs within 0.005.
    public static func table(_ results: [Result]) -> String {
        var text = ESMMBenchmark.table(results)
        if let funnel = results.first {
            for reference in results.dropFirst() {
                let speed = funnel.trainSamplesPerSecond / reference.trainSamplesPerSecond
                let auc = max(abs(funnel.ctrAUC - reference.ctrAUC), abs(funnel.ctcvrAUC - reference.ctcvrAUC))
                text += String(
                    format: "\nbar vs %@: training ≥ 1.50× %@ (%.2f×), AUC within 0.005 %@ (largest gap %.4f)",
                    reference.system, speed >= 1.5 ? "holds" : "FAILS", speed, auc <= 0.005 ? "holds" : "FAILS", auc)
            }
        }
        return text
    }
}
