extension Metrics {
    /// XAUC: the fraction of pairs of rows that predictions order like the continuous targets.
    ///
    /// A pair `(i, j)` is concordant when `(w_i − w_j)(ŵ_i − ŵ_j) > 0`; the value is the
    /// number of concordant pairs over all `n(n−1)/2` pairs, so pairs tied in the target or in
    /// the prediction count as not concordant (watchtime.md §0.4). Fewer than two rows give 1.
    /// A perfectly ordered list with distinct targets gives 1, a reversed one 0. O(n log n):
    /// a sort by prediction, then a merge-sort count of increasing pairs of targets.
    ///
    /// - Parameters:
    ///   - predictions: One prediction per row (such as predicted watch time); NaN throws.
    ///   - targets: One continuous target per row (such as watch time); NaN throws.
    /// - Returns: XAUC in `[0, 1]`.
    /// - Throws: Count and value errors.
    @inlinable
    public static func xauc<Prediction: BinaryFloatingPoint, Target: BinaryFloatingPoint>(
        predictions: [Prediction], targets: [Target]
    ) throws(MetricError) -> Double {
        try computeXAUC(predictions: doubles(predictions), targets: doubles(targets))
    }

    @usableFromInline
    static func computeXAUC(predictions: [Double], targets: [Double]) throws(MetricError) -> Double
    {
        try validateXAUC(predictions: predictions, targets: targets, metric: "XAUC")
        return xauc(predictions: predictions, targets: targets, rows: Array(predictions.indices))
    }

    static func validateXAUC(
        predictions: [Double], targets: [Double], metric: String
    ) throws(MetricError) {
        try InputValidation.requireCount(
            targets.count, predictions.count, argument: "targets", metric: metric)
        try InputValidation.requireNoNaN(predictions, argument: "predictions", metric: metric)
        try InputValidation.requireNoNaN(targets, argument: "targets", metric: metric)
    }

    /// XAUC of the given rows; 1 for fewer than two rows.
    static func xauc(predictions: [Double], targets: [Double], rows: [Int]) -> Double {
        let count = rows.count
        guard count >= 2 else { return 1 }
        // Ascending prediction; among equal predictions, descending target, so that no pair
        // tied in prediction appears as an increasing pair of targets below.
        let order = rows.sorted {
            predictions[$0] < predictions[$1]
                || (predictions[$0] == predictions[$1] && targets[$0] > targets[$1])
        }
        let increasingPairs = countIncreasingPairs(order.map { targets[$0] })
        return Double(increasingPairs) / (Double(count) * Double(count - 1) / 2)
    }

    /// The number of pairs `i < j` with `values[i] < values[j]`, by bottom-up merge sort.
    static func countIncreasingPairs(_ values: [Double]) -> Int {
        var source = values
        var target = values
        var pairs = 0
        var width = 1
        while width < source.count {
            var low = 0
            while low < source.count {
                let middle = min(low + width, source.count)
                let high = min(low + 2 * width, source.count)
                var left = low
                var right = middle
                var out = low
                while left < middle, right < high {
                    if source[left] < source[right] {
                        target[out] = source[left]
                        left += 1
                    } else {
                        // Every left value already taken is strictly below source[right].
                        pairs += left - low
                        target[out] = source[right]
                        right += 1
                    }
                    out += 1
                }
                while left < middle {
                    target[out] = source[left]
                    left += 1
                    out += 1
                }
                while right < high {
                    pairs += middle - low
                    target[out] = source[right]
                    right += 1
                    out += 1
                }
                low = high
            }
            swap(&source, &target)
            width *= 2
        }
        return pairs
    }
}
