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

    /// Several seeds' runs (each `[Funnel, reference…]` as ``run(_:)`` returns them): every
    /// system's mean ± standard deviation of training samples/s and of each AUC, and the bar
    /// judged on the means — one epoch's CTCVR AUC moves by about 0.01 between seeds on either
    /// side, more than the bar's 0.005, so one seed cannot decide it.
    public static func summary(_ runs: [[Result]], seeds: [UInt64]) -> String {
        guard let first = runs.first, !first.isEmpty else { return "" }
        func spread(_ values: [Double]) -> (mean: Double, deviation: Double) {
            let mean = values.reduce(0, +) / Double(values.count)
            let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            return (mean, values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0)
        }
        let seedList = seeds.map(String.init).joined(separator: ", ")
        var lines = ["over \(runs.count) seeds (\(seedList)), mean ± standard deviation:",
                     "system                          train/s            AUC CTR            AUC CTCVR"]
        var means: [(speed: Double, ctr: Double, ctcvr: Double)] = []
        for index in first.indices {
            let speed = spread(runs.map { $0[index].trainSamplesPerSecond })
            let ctr = spread(runs.map { $0[index].ctrAUC })
            let ctcvr = spread(runs.map { $0[index].ctcvrAUC })
            means.append((speed.mean, ctr.mean, ctcvr.mean))
            lines.append(
                first[index].system.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: "  %7.0f ± %5.0f   %.4f ± %.4f   %.4f ± %.4f", speed.mean, speed.deviation, ctr.mean, ctr.deviation, ctcvr.mean, ctcvr.deviation))
        }
        for (index, reference) in first.enumerated().dropFirst() {
            let ratios = runs.map { $0[0].trainSamplesPerSecond / $0[index].trainSamplesPerSecond }.sorted()
            let median = ratios.count % 2 == 1 ? ratios[ratios.count / 2] : (ratios[ratios.count / 2 - 1] + ratios[ratios.count / 2]) / 2
            let gap = max(abs(means[0].ctr - means[index].ctr), abs(means[0].ctcvr - means[index].ctcvr))
            lines.append(String(
                format: "bar vs %@ over the seeds: training ≥ 1.50× %@ (median ratio %.2f×, range %.2f–%.2f×), mean AUCs within 0.005 %@ (largest gap %.4f)",
                reference.system, median >= 1.5 ? "holds" : "FAILS", median, ratios.first!, ratios.last!, gap <= 0.005 ? "holds" : "FAILS", gap))
        }
        return lines.joined(separator: "\n")
    }
}
