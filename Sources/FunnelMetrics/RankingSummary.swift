/// A full-ranking metric reported at a cutoff K.
public enum RankingMetric: String, Sendable, CaseIterable, Codable {
    /// HR@K, the hit ratio.
    case hitRatio = "hr"
    /// Recall@K; equal to HR@K with one target per user.
    case recall
    /// NDCG@K with binary relevance.
    case ndcg
    /// MRR@K, the reciprocal rank cut at K.
    case reciprocalRank = "mrr"
}

/// The mean of the full-ranking metrics over evaluated users, at several cutoffs.
///
/// Add one ``ItemRanking`` per user, then read each mean; sequential.md §0.3 reports the mean
/// over evaluated users at K = 5, 10 (and 20). Summaries of disjoint user sets merge, so users
/// can be evaluated in parallel.
///
/// ```swift
/// var summary = RankingSummary(cutoffs: [5, 10])
/// for user in users { summary.add(try ItemRanking(scores: scores[user], target: heldOut[user])) }
/// let ndcg10 = try summary.mean(.ndcg, at: 10)
/// ```
public struct RankingSummary: Sendable, Equatable {
    /// The cutoffs K at which every metric is accumulated, in the order given.
    public let cutoffs: [Int]
    /// The users added so far.
    public private(set) var userCount = 0
    /// Per metric, per cutoff, the sum over users.
    private var sums: [RankingMetric: [Double]]
    /// The sum over users of the uncut reciprocal rank.
    private var reciprocalRankSum = 0.0

    /// An empty summary.
    /// - Parameter cutoffs: The cutoffs K, each at least 1; default `[5, 10, 20]`.
    public init(cutoffs: [Int] = [5, 10, 20]) {
        precondition(cutoffs.allSatisfy { $0 >= 1 }, "ranking cutoffs must be at least 1")
        self.cutoffs = cutoffs
        self.sums = Dictionary(
            uniqueKeysWithValues: RankingMetric.allCases.map {
                ($0, [Double](repeating: 0, count: cutoffs.count))
            })
    }

    /// Adds one user's ranking.
    public mutating func add(_ ranking: ItemRanking) {
        for metric in RankingMetric.allCases {
            for (index, cutoff) in cutoffs.enumerated() {
                sums[metric]![index] += ranking.value(of: metric, at: cutoff)
            }
        }
        reciprocalRankSum += ranking.reciprocalRank()
        userCount += 1
    }

    /// Adds the users of another summary with the same cutoffs.
    public mutating func merge(_ other: RankingSummary) {
        precondition(other.cutoffs == cutoffs, "merged summaries must share their cutoffs")
        for metric in RankingMetric.allCases {
            for index in cutoffs.indices { sums[metric]![index] += other.sums[metric]![index] }
        }
        reciprocalRankSum += other.reciprocalRankSum
        userCount += other.userCount
    }

    /// The mean of `metric` at `cutoff` over the users added.
    /// - Parameters:
    ///   - metric: The metric.
    ///   - cutoff: One of ``cutoffs``.
    /// - Throws: ``MetricError/emptyInput(metric:)`` when no user was added, and
    ///   ``MetricError/invalidArgument(metric:message:)`` for a cutoff not accumulated.
    public func mean(_ metric: RankingMetric, at cutoff: Int) throws(MetricError) -> Double {
        guard let index = cutoffs.firstIndex(of: cutoff) else {
            throw .invalidArgument(
                metric: "\(metric.rawValue)@\(cutoff)",
                message: "expected one of the accumulated cutoffs \(cutoffs)")
        }
        guard userCount > 0 else { throw .emptyInput(metric: "\(metric.rawValue)@\(cutoff)") }
        return sums[metric]![index] / Double(userCount)
    }

    /// The mean uncut reciprocal rank (MRR) over the users added.
    /// - Throws: ``MetricError/emptyInput(metric:)`` when no user was added.
    public func meanReciprocalRank() throws(MetricError) -> Double {
        guard userCount > 0 else { throw .emptyInput(metric: "mrr") }
        return reciprocalRankSum / Double(userCount)
    }
}
