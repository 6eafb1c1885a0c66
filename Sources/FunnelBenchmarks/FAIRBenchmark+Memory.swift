import Foundation

extension FAIRBenchmark {
    /// Peak resident memory against batch size at one size and variant, fitted by least squares:
    /// `peak ≈ intercept + slope · batch`.
    public struct MemoryFit: Codable, Sendable {
        public var size: String
        public var variant: Variant
        public var batches: [Int]
        public var peaksMebibytes: [Double]
        /// MiB per sequence.
        public var slopeMebibytes: Double
        /// MiB at batch 0 (the model, optimizer, pools, the process).
        public var interceptMebibytes: Double
        public var budgetMebibytes: Double
        /// The largest batch whose predicted peak fits the budget.
        public var largestFittingBatch: Int
        public var predictedBatch: Int
        /// The predicted peak at `predictedBatch` (the paper's 256).
        public var predictedPeakMebibytes: Double

        /// The fit of `points` (one size and variant), `nil` with fewer than two batch sizes.
        init?(points: [TrainingResult], options: Options) {
            guard let first = points.first, Set(points.map(\.batchSize)).count >= 2 else { return nil }
            let (slope, intercept) = FAIRBenchmark.leastSquares(
                points.map { Double($0.batchSize) }, points.map(\.peakResidentMebibytes))
            size = first.size
            variant = first.variant
            batches = points.map(\.batchSize)
            peaksMebibytes = points.map(\.peakResidentMebibytes)
            slopeMebibytes = slope
            interceptMebibytes = intercept
            budgetMebibytes = options.memoryBudgetMebibytes
            largestFittingBatch = slope > 0 ? max(0, Int(((options.memoryBudgetMebibytes - intercept) / slope).rounded(.down))) : Int.max
            predictedBatch = options.paperBatch
            predictedPeakMebibytes = intercept + slope * Double(options.paperBatch)
        }
    }

    /// The size of one tensor per sequence, from its shape, and how many a training step keeps.
    public struct TensorSize: Codable, Sendable {
        public var name: String
        /// Per sequence, e.g. `[4, 1600, 1600]`.
        public var shape: [Int]
        public var mebibytesPerSequence: Double
        /// How many such tensors FAIR keeps per sequence for the backward pass (every block, and
        /// both the clean and the perturbed forward pass), approximately for activations.
        public var keptPerSequence: Int
    }

    /// `(slope, intercept)` of the least-squares line through `(x, y)`.
    static func leastSquares(_ x: [Double], _ y: [Double]) -> (Double, Double) {
        let count = Double(x.count)
        let (meanX, meanY) = (x.reduce(0, +) / count, y.reduce(0, +) / count)
        let covariance = zip(x, y).map { ($0 - meanX) * ($1 - meanY) }.reduce(0, +)
        let variance = x.map { ($0 - meanX) * ($0 - meanX) }.reduce(0, +)
        let slope = variance > 0 ? covariance / variance : 0
        return (slope, meanY - slope * meanX)
    }

    /// The tensors a FAIR training step keeps per sequence at `size`: the fused attention's
    /// weights `[heads, L, L]` (focused attention's `heads/2` heads × 2 maps, or the baseline's
    /// `heads` heads), the additive mask `[1, L, L]` (causal + key padding, one per row), and
    /// the activations `[L, D]` and `[L, FFN]` (about 14 and 3 per block: norms, projections,
    /// attention output, residuals, the feed-forward pre- and post-activation).
    static func tensorSizes(size: Size, options: Options) -> [TensorSize] {
        let length = options.length * size.digits
        let passes = 2  // the clean and the noise term's perturbed forward pass
        func mebibytes(_ shape: [Int]) -> Double { Double(shape.reduce(1, *)) * 4 / 1_048_576 }
        return [
            TensorSize(
                name: "attention weights", shape: [options.heads, length, length],
                mebibytesPerSequence: mebibytes([options.heads, length, length]), keptPerSequence: passes * options.blocks),
            TensorSize(
                name: "attention mask", shape: [1, length, length], mebibytesPerSequence: mebibytes([1, length, length]),
                keptPerSequence: passes * options.blocks),
            TensorSize(
                name: "activation [L, D]", shape: [length, size.dimensions], mebibytesPerSequence: mebibytes([length, size.dimensions]),
                keptPerSequence: passes * (14 * options.blocks + 4)),
            TensorSize(
                name: "feed-forward [L, FFN]", shape: [length, size.feedForwardDimensions],
                mebibytesPerSequence: mebibytes([length, size.feedForwardDimensions]), keptPerSequence: passes * 3 * options.blocks),
        ]
    }

    /// The peak a run is expected to reach, to skip one that would not fit: the line through
    /// the measured points (two or more), a proportional scale of one, or else what is resident
    /// now plus 1.5 × the tensors of ``tensorSizes(size:options:)`` per sequence (one pass for
    /// a variant without the noise term).
    static func predictedPeak(points: [TrainingResult], batchSize: Int, size: Size, variant: Variant, options: Options) -> Double {
        if points.count >= 2 {
            let (slope, intercept) = leastSquares(points.map { Double($0.batchSize) }, points.map(\.peakResidentMebibytes))
            return intercept + slope * Double(batchSize)
        }
        if let point = points.first { return point.peakResidentMebibytes * Double(batchSize) / Double(point.batchSize) }
        var perSequence = tensorSizes(size: size, options: options).map { $0.mebibytesPerSequence * Double($0.keptPerSequence) }
            .reduce(0, +)
        if variant == .standard { perSequence /= 2 }
        return ResidentMemory.current() + 1.5 * perSequence * Double(batchSize)
    }
}
