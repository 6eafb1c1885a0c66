extension Metrics {
    /// nDCG@K of graded labels listed in predicted order (watchtime.md §0.4).
    ///
    /// `DCG@K = Σ_{i=1..min(K,n)} (2^{y_i} − 1) / log2(i + 1)`; the ideal DCG is the same sum over
    /// the labels sorted in decreasing order, and nDCG is their ratio, or **0 when the ideal DCG
    /// is 0** (a list without relevant items, or an empty list). Labels `[1, 0, 0]` give
    /// nDCG@1 = 1 and `[0, 1, 0]` give nDCG@3 = 1/log2 3 ≈ 0.6309.
    ///
    /// - Parameters:
    ///   - labelsInPredictedOrder: Relevance labels, best-predicted first; finite and ≥ 0.
    ///   - cutoff: K, at least 1.
    /// - Returns: nDCG@K in `[0, 1]`.
    /// - Throws: ``MetricError/invalidLabel(metric:index:value:expected:)`` and
    ///   ``MetricError/invalidArgument(metric:message:)`` for a cutoff below 1.
    @inlinable
    public static func ndcg<Label: BinaryFloatingPoint>(
        labelsInPredictedOrder: [Label], cutoff: Int
    ) throws(MetricError) -> Double {
        try computeNDCG(orderedLabels: doubles(labelsInPredictedOrder), cutoff: cutoff)
    }

    /// nDCG@K of one list ordered by decreasing score, ties keeping their input order.
    ///
    /// - Parameters:
    ///   - scores: One predicted score per item; NaN throws.
    ///   - labels: One relevance label per item; finite and ≥ 0.
    ///   - cutoff: K, at least 1.
    /// - Throws: As ``ndcg(labelsInPredictedOrder:cutoff:)``, and count or value errors.
    @inlinable
    public static func ndcg<Score: BinaryFloatingPoint, Label: BinaryFloatingPoint>(
        scores: [Score], labels: [Label], cutoff: Int
    ) throws(MetricError) -> Double {
        let labels = doubles(labels)
        let order = try predictedOrder(scores: doubles(scores), labels: labels, metric: "nDCG")
        return try computeNDCG(orderedLabels: order.map { labels[$0] }, cutoff: cutoff)
    }

    /// The reciprocal rank of the first relevant item (label > 0) in predicted order, or 0.
    ///
    /// Labels `[1, 0, 0]` give 1 and `[0, 1, 0]` give 0.5 (watchtime.md §0.4, CWM's MRR).
    /// - Parameter labelsInPredictedOrder: Relevance labels, best-predicted first.
    /// - Throws: ``MetricError/invalidLabel(metric:index:value:expected:)``.
    @inlinable
    public static func reciprocalRank<Label: BinaryFloatingPoint>(
        labelsInPredictedOrder: [Label]
    ) throws(MetricError) -> Double {
        try computeReciprocalRank(orderedLabels: doubles(labelsInPredictedOrder))
    }

    @usableFromInline
    static func computeNDCG(orderedLabels labels: [Double], cutoff: Int) throws(MetricError)
        -> Double
    {
        guard cutoff >= 1 else {
            throw .invalidArgument(metric: "nDCG", message: "expected cutoff K >= 1, got \(cutoff)")
        }
        try requireRelevanceLabels(labels, metric: "nDCG")
        let ideal = discountedCumulativeGain(labels.sorted(by: >), cutoff: cutoff)
        guard ideal > 0 else { return 0 }
        return discountedCumulativeGain(labels, cutoff: cutoff) / ideal
    }

    @usableFromInline
    static func computeReciprocalRank(orderedLabels labels: [Double]) throws(MetricError)
        -> Double
    {
        try requireRelevanceLabels(labels, metric: "MRR")
        guard let first = labels.firstIndex(where: { $0 > 0 }) else { return 0 }
        return 1 / Double(first + 1)
    }

    /// Row indices sorted by decreasing score; tied rows keep their input order.
    @usableFromInline
    static func predictedOrder(
        scores: [Double], labels: [Double], metric: String
    ) throws(MetricError) -> [Int] {
        try InputValidation.requireCount(
            labels.count, scores.count, argument: "labels", metric: metric)
        try InputValidation.requireNoNaN(scores, argument: "scores", metric: metric)
        return scores.indices.sorted {
            scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1)
        }
    }

    /// `Σ_{i<min(K,n)} (2^{y_i} − 1) / log2(i + 2)` with 0-based `i`.
    static func discountedCumulativeGain(_ labels: [Double], cutoff: Int) -> Double {
        var total = 0.0
        for (rank, label) in labels.prefix(cutoff).enumerated() where label > 0 {
            total += (ElementaryFunctions.exp2(label) - 1) * ItemRanking.discount(rank)
        }
        return total
    }

    private static func requireRelevanceLabels(
        _ labels: [Double], metric: String
    ) throws(MetricError) {
        if let index = labels.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw .invalidLabel(
                metric: metric, index: index, value: labels[index],
                expected: "a finite relevance label >= 0")
        }
    }
}
