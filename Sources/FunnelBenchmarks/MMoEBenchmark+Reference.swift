import Foundation

extension MMoEBenchmark {
    /// Runs `torch_mmoe.py --epochs 1 --opt VARIANT` and reads its `RESULT` line (inference at
    /// the training batch, 2048).
    static func runReference(script: String, variant: String, options: Options, rows: (train: Int, test: Int)) throws -> Result {
        let report = try ReferenceScript(
            script: script,
            arguments: [
                "--epochs", "1", "--opt", variant, "--threads", "\(options.threads)", "--rows", "\(rows.train)",
                "--test-rows", "\(rows.test)", "--batch", "\(options.batchSize)", "--warmup", "\(options.warmupBatches)",
                "--init-seed", "\(options.seed)",
            ]
        ).run(progressPrefixes: ["#", "epoch"], log: options.log)
        return Result(
            system: report.system(variant), trainSamplesPerSecond: report.number("train_sps_median"),
            inferenceSamplesPerSecond: report.inference(batchSize: options.batchSize),
            peakResidentMebibytes: report.number("peak_rss_mib"), ctrAUC: report.first("auc_ctr_epochs"),
            ctcvrAUC: report.first("auc_ctcvr_epochs"), trainingRows: rows.train, testRows: rows.test, threads: options.threads)
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
