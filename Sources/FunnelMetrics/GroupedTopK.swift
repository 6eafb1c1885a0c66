/// Per-user top-K quality of scored rows with binary labels: each user's rows are ranked by
/// decreasing score, and NDCG@K and Recall@K are averaged over the users that have at least one
/// positive row.
///
/// For one user with `P ≥ 1` positives and 0-based ranks `r` of the positive rows:
/// - `DCG@K = Σ_{positives with r < K} 1 / log2(r + 2)`,
///   `IDCG@K = Σ_{r < min(K, P)} 1 / log2(r + 2)`, `NDCG@K = DCG@K / IDCG@K`;
/// - `Recall@K = |positives with r < K| / P`.
///
/// Conventions, stated once here and in every report line that uses them:
/// - **Users without a positive row are excluded** from both averages (their NDCG and Recall are
///   undefined) and counted in ``usersWithoutPositives``; ``users`` counts the users averaged.
/// - **Ties** between equal scores are broken by input row order (the earlier row ranks
///   higher), as ``Metrics/meanNDCG(scores:labels:groups:cutoff:)`` does. A model that scores
///   every row alike is therefore ranked in input order.
///
/// This is the protocol of the debiased-MF work on Coat and Yahoo! R3 (rating ≥ 4 as the
/// positive label, the random test items of each user ranked among themselves).
public struct GroupedTopK: Sendable, Equatable {
    /// Cutoff K → mean NDCG@K over the users with a positive row.
    public var ndcg: [Int: Double]
    /// Cutoff K → mean Recall@K over the users with a positive row.
    public var recall: [Int: Double]
    /// Users averaged (at least one positive row).
    public var users: Int
    /// Users left out for having no positive row.
    public var usersWithoutPositives: Int

    /// - Parameters:
    ///   - scores: one score per row; NaN throws.
    ///   - labels: one label per row, 0 or 1.
    ///   - groups: one key per row (the user); a group's rows need not be adjacent.
    ///   - cutoffs: the K values, each at least 1.
    /// - Throws: count, value, label and argument errors; ``MetricError/noUsableGroup(metric:groups:reason:)``
    ///   when no user has a positive row.
    @inlinable
    public init<Score: BinaryFloatingPoint, Label: BinaryFloatingPoint, Key: Hashable>(
        scores: [Score], labels: [Label], groups: [Key], cutoffs: [Int]
    ) throws(MetricError) {
        try self.init(
            scores: scores.map { Double($0) }, labels: labels.map { Double($0) },
            groupIdentifiers: RowGroups.identifiers(of: groups), keyCount: groups.count, cutoffs: cutoffs)
    }

    @usableFromInline
    init(scores: [Double], labels: [Double], groupIdentifiers: [Int], keyCount: Int, cutoffs: [Int]) throws(MetricError) {
        let metric = "grouped top-K"
        guard !scores.isEmpty else { throw .emptyInput(metric: metric) }
        try InputValidation.requireCount(labels.count, scores.count, argument: "labels", metric: metric)
        try InputValidation.requireCount(keyCount, scores.count, argument: "groups", metric: metric)
        try InputValidation.requireNoNaN(scores, argument: "scores", metric: metric)
        let positive = try InputValidation.binaryLabels(labels, metric: metric)
        if let bad = cutoffs.first(where: { $0 < 1 }) {
            throw .invalidArgument(metric: metric, message: "expected every cutoff K >= 1, got \(bad)")
        }
        let groups = RowGroups(identifiers: groupIdentifiers)
        var ndcgTotals = [Double](repeating: 0, count: cutoffs.count)
        var recallTotals = [Double](repeating: 0, count: cutoffs.count)
        var used = 0
        for group in 0..<groups.count {
            let rows = groups[group].sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            let positives = rows.filter { positive[$0] }.count
            guard positives > 0 else { continue }
            used += 1
            for (index, cutoff) in cutoffs.enumerated() {
                var gain = 0.0
                var hits = 0
                for (rank, row) in rows.prefix(cutoff).enumerated() where positive[row] {
                    gain += ItemRanking.discount(rank)
                    hits += 1
                }
                let ideal = (0..<Swift.min(cutoff, positives)).reduce(0.0) { $0 + ItemRanking.discount($1) }
                ndcgTotals[index] += gain / ideal
                recallTotals[index] += Double(hits) / Double(positives)
            }
        }
        guard used > 0 else {
            throw .noUsableGroup(metric: metric, groups: groups.count, reason: "no group has a positive label")
        }
        var ndcg: [Int: Double] = [:]
        var recall: [Int: Double] = [:]
        for (index, cutoff) in cutoffs.enumerated() {
            ndcg[cutoff] = ndcgTotals[index] / Double(used)
            recall[cutoff] = recallTotals[index] / Double(used)
        }
        self.ndcg = ndcg
        self.recall = recall
        users = used
        usersWithoutPositives = groups.count - used
    }
}
