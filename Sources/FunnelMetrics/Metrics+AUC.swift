extension Metrics {
    /// The area under the ROC curve, by the Mann–Whitney statistic with ties counted one half.
    ///
    /// `AUC = (Σ_{i∈pos} rank_i − n₊(n₊+1)/2) / (n₊·n₋)` with average ranks for tied scores
    /// (entire-space.md §2): the probability that a random positive scores above a random
    /// negative, a tied pair counting ½. With weights each pair counts `w_i·w_j`, which is
    /// scikit-learn's `roc_auc_score(…, sample_weight:)`. O(n log n).
    ///
    /// - Parameters:
    ///   - scores: One score per row; any monotone transform (logit or probability) gives the
    ///     same AUC. NaN throws.
    ///   - labels: One label per row, exactly 0 or 1.
    ///   - weights: Optional non-negative weight per row; `nil` weighs every row 1.
    /// - Returns: The AUC in `[0, 1]`.
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no rows,
    ///   ``MetricError/singleClass(metric:positives:negatives:)`` when every label is the same,
    ///   and the count, label and value errors for malformed input.
    @inlinable
    public static func auc<Score: BinaryFloatingPoint, Label: BinaryFloatingPoint>(
        scores: [Score], labels: [Label], weights: [Double]? = nil
    ) throws(MetricError) -> Double {
        try computeAUC(scores: doubles(scores), labels: doubles(labels), weights: weights)
    }

    @usableFromInline
    static func computeAUC(
        scores: [Double], labels: [Double], weights: [Double]?
    ) throws(MetricError) -> Double {
        let metric = "AUC"
        guard !scores.isEmpty else { throw .emptyInput(metric: metric) }
        try InputValidation.requireCount(
            labels.count, scores.count, argument: "labels", metric: metric)
        try InputValidation.requireNoNaN(scores, argument: "scores", metric: metric)
        let positive = try InputValidation.binaryLabels(labels, metric: metric)
        try InputValidation.weights(weights, count: scores.count, metric: metric)
        let positives = positive.lazy.filter { $0 }.count
        let negatives = positive.count - positives
        guard positives > 0, negatives > 0 else {
            throw .singleClass(metric: metric, positives: positives, negatives: negatives)
        }
        guard
            let value = mannWhitney(
                scores: scores, positive: positive, weights: weights, rows: Array(scores.indices))
        else {
            throw .invalidArgument(
                metric: metric, message: "expected positive total weight in both classes")
        }
        return value
    }

    /// The AUC of the given rows, or `nil` when one class has no weight.
    ///
    /// Sorts the rows by score and walks the groups of tied scores: a positive earns one for
    /// every negative below its group and one half for every negative inside it.
    static func mannWhitney(
        scores: [Double], positive: [Bool], weights: [Double]?, rows: [Int]
    ) -> Double? {
        let order = rows.sorted { scores[$0] < scores[$1] }
        var numerator = 0.0
        var negativesBelow = 0.0
        var positiveTotal = 0.0
        var start = 0
        while start < order.count {
            let score = scores[order[start]]
            var positivesTied = 0.0
            var negativesTied = 0.0
            var end = start
            while end < order.count, scores[order[end]] == score {
                let row = order[end]
                let weight = weights?[row] ?? 1
                if positive[row] { positivesTied += weight } else { negativesTied += weight }
                end += 1
            }
            numerator += positivesTied * (negativesBelow + 0.5 * negativesTied)
            negativesBelow += negativesTied
            positiveTotal += positivesTied
            start = end
        }
        guard positiveTotal > 0, negativesBelow > 0 else { return nil }
        return numerator / (positiveTotal * negativesBelow)
    }
}
