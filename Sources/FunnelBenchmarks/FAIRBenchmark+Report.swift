import Foundation

extension FAIRBenchmark {
    /// One size, variant and batch: training throughput and peak memory.
    public struct TrainingResult: Encodable, Sendable {
        public var size: String
        public var variant: Variant
        public var digits: Int
        public var dimensions: Int
        /// n·M tokens.
        public var tokensPerSequence: Int
        public var batchSize: Int
        /// Training sequences/s of the timed one-batch segments.
        public var sequencesPerSecondMedian: Double
        public var sequencesPerSecondMinimum: Double
        public var sequencesPerSecondMaximum: Double
        /// The process's resident high-water mark during the run (model, optimizer and steps).
        public var peakResidentMebibytes: Double
        /// What was resident when the run started (pools and the earlier runs' leftovers).
        public var residentBeforeMebibytes: Double
        /// The total objective of the last timed batch.
        public var finalLoss: Double

        public var tokensPerSecondMedian: Double { sequencesPerSecondMedian * Double(tokensPerSequence) }
        public var tokensPerSecondMinimum: Double { sequencesPerSecondMinimum * Double(tokensPerSequence) }
        public var tokensPerSecondMaximum: Double { sequencesPerSecondMaximum * Double(tokensPerSequence) }

        enum CodingKeys: String, CodingKey {
            case size, variant, digits, dimensions, tokensPerSequence, batchSize, sequencesPerSecondMedian
            case sequencesPerSecondMinimum, sequencesPerSecondMaximum, peakResidentMebibytes, residentBeforeMebibytes, finalLoss
            case tokensPerSecondMedian, tokensPerSecondMinimum, tokensPerSecondMaximum
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(size, forKey: .size)
            try container.encode(variant, forKey: .variant)
            try container.encode(digits, forKey: .digits)
            try container.encode(dimensions, forKey: .dimensions)
            try container.encode(tokensPerSequence, forKey: .tokensPerSequence)
            try container.encode(batchSize, forKey: .batchSize)
            try container.encode(sequencesPerSecondMedian, forKey: .sequencesPerSecondMedian)
            try container.encode(sequencesPerSecondMinimum, forKey: .sequencesPerSecondMinimum)
            try container.encode(sequencesPerSecondMaximum, forKey: .sequencesPerSecondMaximum)
            try container.encode(peakResidentMebibytes, forKey: .peakResidentMebibytes)
            try container.encode(residentBeforeMebibytes, forKey: .residentBeforeMebibytes)
            try container.encode(finalLoss, forKey: .finalLoss)
            try container.encode(tokensPerSecondMedian, forKey: .tokensPerSecondMedian)
            try container.encode(tokensPerSecondMinimum, forKey: .tokensPerSecondMinimum)
            try container.encode(tokensPerSecondMaximum, forKey: .tokensPerSecondMaximum)
        }
    }

    /// Everything `bench fair` measured.
    public struct Report: Encodable, Sendable {
        public var threads: Int
        public var itemCount: Int
        public var length: Int
        public var training: [TrainingResult] = []
        public var memoryFits: [MemoryFit] = []
        /// The paper size's largest tensors per sequence.
        public var tensors: [TensorSize] = []
        public var decoding: [DecodingResult] = []
        public var graphBuilds: [GraphBuild] = []
        /// Runs not tried (predicted over the memory limit) or reduced.
        public var skipped: [String] = []
    }

    /// A plain-text table of the report: training, the memory fits and tensors, decoding.
    public static func table(_ report: Report) -> String {
        var lines = [
            "FAIR training (\(report.itemCount) items, n = \(report.length), \(report.threads) threads; timed one-batch segments: median [min–max])",
            pad(["size", "M", "D", "variant", "tokens", "batch", "tokens/s", "seq/s", "peak MiB", "before MiB", "loss"]),
        ]
        for row in report.training {
            lines.append(pad([
                row.size, "\(row.digits)", "\(row.dimensions)", row.variant.rawValue, "\(row.tokensPerSequence)", "\(row.batchSize)",
                String(format: "%.0f [%.0f–%.0f]", row.tokensPerSecondMedian, row.tokensPerSecondMinimum, row.tokensPerSecondMaximum),
                String(format: "%.2f [%.2f–%.2f]", row.sequencesPerSecondMedian, row.sequencesPerSecondMinimum, row.sequencesPerSecondMaximum),
                String(format: "%.0f", row.peakResidentMebibytes), String(format: "%.0f", row.residentBeforeMebibytes),
                String(format: "%.3f", row.finalLoss),
            ]))
        }
        lines.append("")
        lines.append("Memory fit (peak = intercept + slope · batch, least squares)")
        for fit in report.memoryFits {
            lines.append(String(
                format: "  %@ %@: slope %.1f MiB/sequence, intercept %.0f MiB; largest batch within %.0f MiB: %d; predicted peak at batch %d: %.0f MiB (%.1f GiB)",
                fit.size, fit.variant.rawValue, fit.slopeMebibytes, fit.interceptMebibytes, fit.budgetMebibytes,
                fit.largestFittingBatch, fit.predictedBatch, fit.predictedPeakMebibytes, fit.predictedPeakMebibytes / 1024))
        }
        if !report.tensors.isEmpty {
            lines.append("Largest tensors per sequence at the paper's size (FAIR: clean + perturbed pass)")
            for tensor in report.tensors {
                lines.append(String(
                    format: "  %@ %@: %.2f MiB each × ~%d kept = %.0f MiB", tensor.name, "\(tensor.shape)", tensor.mebibytesPerSequence,
                    tensor.keptPerSequence, tensor.mebibytesPerSequence * Double(tensor.keptPerSequence)))
            }
        }
        lines.append("")
        lines.append("Decoding per user (forward: the model's evaluation call on a user batch; decoder: the decoder alone on random logits)")
        lines.append(pad(["size", "M", "part", "prediction", "decoder", "width", "users", "ms/user"]))
        for row in report.decoding {
            lines.append(pad([
                row.size, "\(row.digits)", row.part, row.prediction, row.decoder, row.width.map { "\($0)" } ?? "–", "\(row.users)",
                String(format: "%.3f", row.millisecondsPerUser),
            ]))
        }
        for build in report.graphBuilds {
            lines.append(String(
                format: "Graph build (one-off) %@ M=%d, %d items, %d edges: %.2f s", build.size, build.digits, build.items, build.edges,
                build.seconds))
        }
        if !report.skipped.isEmpty {
            lines.append("")
            lines.append("Skipped or reduced:")
            lines += report.skipped.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// Cells padded to 12 characters (wider cells keep their width).
    private static func pad(_ cells: [String]) -> String {
        cells.map { $0.count >= 12 ? $0 + " " : $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined()
    }
}
