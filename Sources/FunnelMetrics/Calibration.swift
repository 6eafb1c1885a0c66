/// How well predicted probabilities match observed frequencies.
///
/// Holds the calibration ratio (mean prediction over mean label; 1 is calibrated on average)
/// and the expected calibration error over equal-width bins,
/// `ECE = Σ_b (n_b / n)·|mean prediction_b − mean label_b|`,
/// together with the per-bin table that a reliability plot draws.
///
/// ```swift
/// let calibration = try Calibration(probabilities: ctr, labels: clicks, binCount: 10)
/// print(calibration.ratio ?? .nan, calibration.expectedCalibrationError)
/// ```
public struct Calibration: Sendable, Equatable {
    /// One equal-width bin of predicted probability.
    public struct Bin: Sendable, Equatable {
        /// The bin covers `[lowerBound, upperBound)`; the last bin also holds 1.
        public let lowerBound: Double
        /// The upper edge of the bin.
        public let upperBound: Double
        /// Rows whose prediction falls in the bin.
        public let count: Int
        /// Sum of the predictions in the bin.
        public let predictionSum: Double
        /// Sum of the labels in the bin.
        public let labelSum: Double

        /// Mean prediction in the bin, or `nil` for an empty bin.
        public var meanPrediction: Double? { count > 0 ? predictionSum / Double(count) : nil }
        /// Observed frequency (mean label) in the bin, or `nil` for an empty bin.
        public var meanLabel: Double? { count > 0 ? labelSum / Double(count) : nil }
    }

    /// The number of rows.
    public let count: Int
    /// Mean predicted probability over all rows.
    public let meanPrediction: Double
    /// Mean label over all rows (the observed rate).
    public let meanLabel: Double
    /// Expected calibration error over ``bins``.
    public let expectedCalibrationError: Double
    /// The equal-width bins over `[0, 1]`, in increasing order, empty ones included.
    public let bins: [Bin]

    /// `meanPrediction / meanLabel`, or `nil` when no label is positive.
    public var ratio: Double? { meanLabel > 0 ? meanPrediction / meanLabel : nil }

    /// Computes the calibration summary.
    ///
    /// Row `i` falls in bin `min(⌊p_i · binCount⌋, binCount − 1)`.
    ///
    /// - Parameters:
    ///   - probabilities: One predicted probability per row, in `[0, 1]`.
    ///   - labels: One label per row in `[0, 1]` (soft labels allowed).
    ///   - binCount: The number of equal-width bins; default 10.
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no rows, and the count, label, value
    ///   and argument errors for malformed input.
    @inlinable
    public init<Probability: BinaryFloatingPoint, Label: BinaryFloatingPoint>(
        probabilities: [Probability], labels: [Label], binCount: Int = 10
    ) throws(MetricError) {
        try self.init(
            probabilities: Metrics.doubles(probabilities), labels: Metrics.doubles(labels),
            binCount: binCount)
    }

    @usableFromInline
    init(probabilities: [Double], labels: [Double], binCount: Int) throws(MetricError) {
        let metric = "calibration"
        guard binCount >= 1 else {
            throw .invalidArgument(
                metric: metric, message: "expected binCount >= 1, got \(binCount)")
        }
        guard !probabilities.isEmpty else { throw .emptyInput(metric: metric) }
        try InputValidation.requireCount(
            labels.count, probabilities.count, argument: "labels", metric: metric)
        try InputValidation.requireWithin(
            probabilities, 0...1, argument: "probabilities", metric: metric)
        try InputValidation.unitLabels(labels, metric: metric)

        var counts = [Int](repeating: 0, count: binCount)
        var predictionSums = [Double](repeating: 0, count: binCount)
        var labelSums = [Double](repeating: 0, count: binCount)
        for (probability, label) in zip(probabilities, labels) {
            let bin = min(Int(probability * Double(binCount)), binCount - 1)
            counts[bin] += 1
            predictionSums[bin] += probability
            labelSums[bin] += label
        }
        let total = Double(probabilities.count)
        var error = 0.0
        var bins: [Bin] = []
        bins.reserveCapacity(binCount)
        for bin in 0..<binCount {
            bins.append(
                Bin(
                    lowerBound: Double(bin) / Double(binCount),
                    upperBound: Double(bin + 1) / Double(binCount), count: counts[bin],
                    predictionSum: predictionSums[bin], labelSum: labelSums[bin]))
            // (n_b / n)·|mean p_b − mean y_b| = |Σp_b − Σy_b| / n.
            error += abs(predictionSums[bin] - labelSums[bin]) / total
        }
        self.count = probabilities.count
        self.meanPrediction = predictionSums.reduce(0, +) / total
        self.meanLabel = labelSums.reduce(0, +) / total
        self.expectedCalibrationError = error
        self.bins = bins
    }
}
