import Foundation

extension ESMMBenchmark {
    /// Runs `torch_esmm.py --epochs 1 --opt VARIANT` and reads its `RESULT` line.
    static func runReference(script: String, variant: String, options: Options, rows: (train: Int, test: Int)) throws -> Result {
        let report = try ReferenceScript(
            script: script,
            arguments: [
                "--epochs", "1", "--opt", variant, "--threads", "\(options.threads)", "--rows", "\(rows.train)",
                "--test-rows", "\(rows.test)",
            ]
        ).run()
        return Result(
            system: report.system(variant), trainSamplesPerSecond: report.number("train_sps_median"),
            inferenceSamplesPerSecond: report.inference(batchSize: 1024),
            largeBatchInferenceSamplesPerSecond: report.inference(batchSize: largeInferenceBatch),
            peakResidentMebibytes: report.number("peak_rss_mib"),
            ctrAUC: report.first("auc_ctr_epochs"), ctcvrAUC: report.first("auc_ctcvr_epochs"),
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
        if results.contains(where: { $0.largeBatchInferenceSamplesPerSecond != nil }) {
            lines.append("inference at batches of \(largeInferenceBatch): " + results.map { result in
                "\(result.system) " + (result.largeBatchInferenceSamplesPerSecond.map { String(format: "%.0f", $0) } ?? "—")
            }.joined(separator: ", "))
        }
        if let funnel = results.first {
            for reference in results.dropFirst() {
                var line = String(
                    format: "Funnel / %@: training %.2f×, inference %.2f×, memory %.2f×, AUC %+.4f / %+.4f",
                    reference.system, funnel.trainSamplesPerSecond / reference.trainSamplesPerSecond,
                    funnel.inferenceSamplesPerSecond / reference.inferenceSamplesPerSecond,
                    funnel.peakResidentMebibytes / reference.peakResidentMebibytes,
                    funnel.ctrAUC - reference.ctrAUC, funnel.ctcvrAUC - reference.ctcvrAUC)
                if let large = funnel.largeBatchInferenceSamplesPerSecond, let other = reference.largeBatchInferenceSamplesPerSecond {
                    line += String(format: " (inference at batches of %d: %.2f×)", largeInferenceBatch, large / other)
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The median over rounds of each round's ratios of Funnel (each round's first result) to
    /// each reference variant, one line per variant; `nil` without references. Each ratio
    /// compares runs made minutes apart, so a slow stretch of the host moves one round's ratio,
    /// not the median.
    public static func medianRatios(_ rounds: [[Result]]) -> String? {
        guard let first = rounds.first, first.count > 1 else { return nil }
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        return first.indices.dropFirst().map { variant in
            let pairs = rounds.filter { $0.count == first.count }.map { ($0[0], $0[variant]) }
            let training = median(pairs.map { $0.trainSamplesPerSecond / $1.trainSamplesPerSecond })
            let inference = median(pairs.map { $0.inferenceSamplesPerSecond / $1.inferenceSamplesPerSecond })
            var line = String(
                format: "median of %d rounds, Funnel / %@: training %.2f× (%@), inference %.2f× (%@)", pairs.count,
                first[variant].system, training,
                pairs.map { String(format: "%.2f", $0.trainSamplesPerSecond / $1.trainSamplesPerSecond) }.joined(separator: ", "),
                inference,
                pairs.map { String(format: "%.2f", $0.inferenceSamplesPerSecond / $1.inferenceSamplesPerSecond) }.joined(separator: ", "))
            let large = pairs.compactMap { funnel, reference in
                funnel.largeBatchInferenceSamplesPerSecond.flatMap { value in
                    reference.largeBatchInferenceSamplesPerSecond.map { value / $0 }
                }
            }
            if large.count == pairs.count {
                line += String(format: ", inference at batches of %d %.2f×", largeInferenceBatch, median(large))
            }
            return line
        }.joined(separator: "\n")
    }
}
