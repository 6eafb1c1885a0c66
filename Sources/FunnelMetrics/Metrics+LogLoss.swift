extension Metrics {
    /// The mean binary cross-entropy (logloss) of predicted probabilities.
    ///
    /// `e(y, p) = −y·log p − (1−y)·log(1−p)` with `p` clipped to `[ε, 1−ε]`, averaged over the
    /// rows (or weighted: `Σ w_i e_i / Σ w_i`, scikit-learn's `log_loss(…, sample_weight:)`).
    /// A `Float` sigmoid rounds to exactly 0 or 1 beyond |logit| ≈ 17, where the clip decides
    /// the loss; prefer ``logLoss(logits:labels:weights:)`` when logits are at hand.
    ///
    /// - Parameters:
    ///   - probabilities: One predicted probability per row, in `[0, 1]`.
    ///   - labels: One label per row in `[0, 1]`; soft labels are allowed.
    ///   - epsilon: The clip ε, in `(0, 0.5)`; default `1e-7`.
    ///   - weights: Optional non-negative weight per row.
    /// - Returns: The mean loss in nats.
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no rows, and the count, label, value
    ///   and argument errors for malformed input (a probability outside `[0, 1]` is likely a
    ///   logit passed by mistake, so it throws rather than being clipped).
    @inlinable
    public static func logLoss<Probability: BinaryFloatingPoint, Label: BinaryFloatingPoint>(
        probabilities: [Probability], labels: [Label], epsilon: Double = 1e-7,
        weights: [Double]? = nil
    ) throws(MetricError) -> Double {
        try computeLogLoss(
            probabilities: doubles(probabilities), labels: doubles(labels), epsilon: epsilon,
            weights: weights)
    }

    /// The mean binary cross-entropy of logits `z`, with `p = σ(z)`, computed without clipping.
    ///
    /// Uses the stable form `e(y, σ(z)) = max(z, 0) − z·y + log1p(exp(−|z|))` (entire-space.md
    /// §0, convention 1), exact for any finite logit.
    ///
    /// - Parameters:
    ///   - logits: One logit per row; finite.
    ///   - labels: One label per row in `[0, 1]`; soft labels are allowed.
    ///   - weights: Optional non-negative weight per row.
    /// - Returns: The mean loss in nats.
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no rows, and the count, label and
    ///   value errors for malformed input.
    @inlinable
    public static func logLoss<Logit: BinaryFloatingPoint, Label: BinaryFloatingPoint>(
        logits: [Logit], labels: [Label], weights: [Double]? = nil
    ) throws(MetricError) -> Double {
        try computeLogLoss(logits: doubles(logits), labels: doubles(labels), weights: weights)
    }

    @usableFromInline
    static func computeLogLoss(
        probabilities: [Double], labels: [Double], epsilon: Double, weights: [Double]?
    ) throws(MetricError) -> Double {
        let metric = "logloss"
        guard epsilon > 0, epsilon < 0.5 else {
            throw .invalidArgument(
                metric: metric, message: "expected epsilon in (0, 0.5), got \(epsilon)")
        }
        try validate(probabilities, argument: "probabilities", labels: labels, weights: weights)
        try InputValidation.requireWithin(
            probabilities, 0...1, argument: "probabilities", metric: metric)
        return weightedMean(count: labels.count, weights: weights) { row in
            let probability = min(max(probabilities[row], epsilon), 1 - epsilon)
            let label = labels[row]
            return -label * ElementaryFunctions.log(probability)
                - (1 - label) * ElementaryFunctions.log1p(-probability)
        }
    }

    @usableFromInline
    static func computeLogLoss(
        logits: [Double], labels: [Double], weights: [Double]?
    ) throws(MetricError) -> Double {
        try validate(logits, argument: "logits", labels: labels, weights: weights)
        if let index = logits.firstIndex(where: { !$0.isFinite }) {
            throw .invalidValue(
                metric: "logloss", argument: "logits", index: index, value: logits[index],
                expected: "a finite logit")
        }
        return weightedMean(count: labels.count, weights: weights) { row in
            let logit = logits[row]
            return max(logit, 0) - logit * labels[row]
                + ElementaryFunctions.log1p(ElementaryFunctions.exp(-abs(logit)))
        }
    }

    private static func validate(
        _ predictions: [Double], argument: String, labels: [Double], weights: [Double]?
    ) throws(MetricError) {
        let metric = "logloss"
        guard !predictions.isEmpty else { throw .emptyInput(metric: metric) }
        try InputValidation.requireCount(
            labels.count, predictions.count, argument: "labels", metric: metric)
        try InputValidation.requireNoNaN(predictions, argument: argument, metric: metric)
        try InputValidation.unitLabels(labels, metric: metric)
        try InputValidation.weights(weights, count: predictions.count, metric: metric)
    }

    private static func weightedMean(
        count: Int, weights: [Double]?, _ loss: (Int) -> Double
    ) -> Double {
        guard let weights else {
            return (0..<count).reduce(0.0) { $0 + loss($1) } / Double(count)
        }
        var sum = 0.0
        var total = 0.0
        for row in 0..<count where weights[row] > 0 {
            sum += weights[row] * loss(row)
            total += weights[row]
        }
        return sum / total
    }
}
