import Foundation

extension SASRecBenchmark {
    /// Runs `torch_sasrec.py --loss LOSS` on the same sizes, threads, warm-up and segments and
    /// reads its `RESULT` line. The script draws its own planted sequences (numpy seed 7): the
    /// same process, not the same rows.
    static func runReference(script: String, loss: Loss, options: Options) throws -> Result {
        let report = try ReferenceScript(
            script: script,
            arguments: [
                "--loss", loss.rawValue, "--threads", "\(options.threads)", "--train-seqs", "\(options.trainSequences)",
                "--test-seqs", "\(options.testSequences)", "--batch", "\(options.batchSize)",
                "--warmup", "\(options.warmupBatches)", "--segments", "\(options.segments)",
                "--seg-batches", "\(options.batchesPerSegment)",
            ]
        ).run(progressPrefixes: ["#", "segment", "inference"], log: options.log)
        return Result(
            system: "PyTorch \(report.json["torch"] as? String ?? "?")", loss: loss,
            trainMedian: report.number("train_seq_s_median"), trainMinimum: report.number("train_seq_s_min"),
            trainMaximum: report.number("train_seq_s_max"), inference: report.number("infer_seq_s_median"),
            hitRate10: report.number("hr10"), ndcg10: report.number("ndcg10"),
            peakResidentMebibytes: report.number("peak_rss_mib"),
            trainedSequences: Int(report.number("trained_seqs").isFinite ? report.number("trained_seqs") : 0),
            threads: options.threads)
    }

    /// A plain-text table: per loss, each system's training sequences/s (median, min–max),
    /// inference sequences/s, HR@10, NDCG@10 and peak MiB; a reference row also carries Funnel's
    /// ratios against it (Funnel / reference) and the issue's bar (training ≥ 2× on sampled100,
    /// ≥ 1× on full).
    public static func table(_ results: [Result]) -> String {
        var lines = [
            "loss        system              train seq/s (min–max)      ×train   infer seq/s   ×infer   HR@10   NDCG@10  peak MiB"
        ]
        var funnel: Result?
        for result in results {
            let isFunnel = result.system == "Funnel"
            if isFunnel { funnel = result }
            let ratios = (!isFunnel ? funnel.map { ($0.trainMedian / result.trainMedian, $0.inference / result.inference) } : nil)
            lines.append(
                result.loss.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + result.system.padding(toLength: 18, withPad: " ", startingAt: 0)
                    + String(format: "%9.0f (%6.0f–%6.0f)", result.trainMedian, result.trainMinimum, result.trainMaximum)
                    + (ratios.map { String(format: "  %6.2f×", $0.0) } ?? "         ")
                    + String(format: "  %12.0f", result.inference)
                    + (ratios.map { String(format: "  %6.2f×", $0.1) } ?? "         ")
                    + String(format: "  %6.4f  %8.4f  %8.0f", result.hitRate10, result.ndcg10, result.peakResidentMebibytes))
            if let ratios, let bar = bar(result.loss) {
                lines.append(String(format: "            bar: training ≥ %.0f× PyTorch: %@ (%.2f×)", bar, ratios.0 >= bar ? "holds" : "FAILS", ratios.0))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The issue's training bar for a loss (`nil`: none).
    static func bar(_ loss: Loss) -> Double? {
        switch loss {
        case .sampled100: 2
        case .full: 1
        case .bce1: nil
        }
    }
}
