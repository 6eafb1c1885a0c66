import Foundation

extension BASEBenchmark {
    /// Runs `torch_base.py --data DUMP --opt VARIANT [--compile]` and reads its `RESULT` line
    /// (inference at the training batch).
    static func runReference(script: String, data: String, variant: String, compiled: Bool, options: Options) throws -> Result {
        let report = try ReferenceScript(
            script: script,
            arguments: [
                "--data", data, "--opt", variant, "--threads", "\(options.threads)", "--warmup", "\(options.warmupBatches)",
                "--init-seed", "\(options.seed)",
            ] + (compiled ? ["--compile"] : []) + (options.referenceFunnelInit ? ["--funnel-init"] : [])
        ).run(progressPrefixes: ["#", "epoch", "inference"], log: options.log)
        return Result(
            system: report.system(variant) + (compiled ? " compiled" : ""), trainSamplesPerSecond: report.number("train_sps_median"),
            inferenceSamplesPerSecond: report.inference(batchSize: options.batchSize),
            peakResidentMebibytes: report.number("peak_rss_mib"), auc: report.first("auc_epochs"),
            trainingRows: (report.json["rows"] as? NSNumber)?.intValue ?? 0,
            testRows: (report.json["test_rows"] as? NSNumber)?.intValue ?? 0, threads: options.threads,
            initialLogitDifference: (report.json["initial_logit_difference"] as? NSNumber)?.doubleValue)
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
