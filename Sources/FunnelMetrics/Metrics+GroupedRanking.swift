extension Metrics {
    /// The reciprocal rank of the first relevant item in one list ordered by decreasing score.
    ///
    /// - Parameters:
    ///   - scores: One predicted score per item; ties keep their input order; NaN throws.
    ///   - labels: One relevance label per item; finite and ≥ 0, relevant when > 0.
    /// - Throws: Count, value and label errors.
    @inlinable
    public static func reciprocalRank<Score: BinaryFloatingPoint, Label: BinaryFloatingPoint>(
        scores: [Score], labels: [Label]
    ) throws(MetricError) -> Double {
        let labels = doubles(labels)
        let order = try predictedOrder(scores: doubles(scores), labels: labels, metric: "MRR")
        return try computeReciprocalRank(orderedLabels: order.map { labels[$0] })
    }

    /// The mean over **all** groups (users) of nDCG@K, each group's rows ordered by its scores.
    ///
    /// Per watchtime.md §0.4: each user's records are sorted by decreasing predicted score
    /// (ties: first occurrence first), and users without a relevant record count as 0.
    ///
    /// - Parameters:
    ///   - scores: One predicted score per row; NaN throws.
    ///   - labels: One relevance label per row; finite and ≥ 0.
    ///   - groups: One key per row, such as the user id; rows need not be adjacent.
    ///   - cutoff: K, at least 1.
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no rows, and count, value, label and
    ///   argument errors.
    @inlinable
    public static func meanNDCG<
        Score: BinaryFloatingPoint, Label: BinaryFloatingPoint, Key: Hashable
    >(
        scores: [Score], labels: [Label], groups: [Key], cutoff: Int
    ) throws(MetricError) -> Double {
        try InputValidation.requireCount(
            groups.count, scores.count, argument: "groups", metric: "nDCG")
        return try meanOverGroups(
            scores: doubles(scores), labels: doubles(labels),
            groupIdentifiers: RowGroups.identifiers(of: groups), metric: "nDCG"
        ) { labels throws(MetricError) in try computeNDCG(orderedLabels: labels, cutoff: cutoff) }
    }

    /// The mean over **all** groups (users) of the reciprocal rank of the first relevant row.
    ///
    /// Users without a relevant record count as 0 (watchtime.md §0.4, CWM's MRR).
    ///
    /// - Parameters:
    ///   - scores: One predicted score per row; NaN throws.
    ///   - labels: One relevance label per row; finite and ≥ 0, relevant when > 0.
    ///   - groups: One key per row, such as the user id; rows need not be adjacent.
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no rows, and count, value and label
    ///   errors.
    @inlinable
    public static func meanReciprocalRank<
        Score: BinaryFloatingPoint, Label: BinaryFloatingPoint, Key: Hashable
    >(
        scores: [Score], labels: [Label], groups: [Key]
    ) throws(MetricError) -> Double {
        try InputValidation.requireCount(
            groups.count, scores.count, argument: "groups", metric: "MRR")
        return try meanOverGroups(
            scores: doubles(scores), labels: doubles(labels),
            groupIdentifiers: RowGroups.identifiers(of: groups), metric: "MRR"
        ) { labels throws(MetricError) in try computeReciprocalRank(orderedLabels: labels) }
    }

    /// The mean over groups of `metric` applied to each group's labels in predicted order.
    @usableFromInline
    static func meanOverGroups(
        scores: [Double], labels: [Double], groupIdentifiers: [Int], metric: String,
        _ value: ([Double]) throws(MetricError) -> Double
    ) throws(MetricError) -> Double {
        guard !scores.isEmpty else { throw .emptyInput(metric: metric) }
        try InputValidation.requireCount(
            labels.count, scores.count, argument: "labels", metric: metric)
        try InputValidation.requireNoNaN(scores, argument: "scores", metric: metric)
        let groups = RowGroups(identifiers: groupIdentifiers)
        var total = 0.0
        for group in 0..<groups.count {
            // Ties go by row index, which is input order: first occurrence first.
            let rows = groups[group].sorted {
                scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1)
            }
            total += try value(rows.map { labels[$0] })
        }
        return total / Double(groups.count)
    }
}
