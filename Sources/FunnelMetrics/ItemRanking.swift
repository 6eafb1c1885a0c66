/// Where a user's held-out target items land when every item of the catalogue is scored.
///
/// The full-ranking protocol of sequential.md §0: score all items, optionally drop the items
/// the user has already seen (never the targets themselves), and rank the targets among the
/// remaining candidates. The 0-based rank of a single target is `r` = the number of candidates
/// scoring strictly higher, so `HR@K = 1[r < K]`, `NDCG@K = 1[r < K] / log2(r + 2)` and
/// `MRR@K = 1[r < K] / (r + 1)`; the metrics live in `ItemRanking+Metrics.swift` and the mean
/// over users in ``RankingSummary``.
///
/// **Ties.** sequential.md §0.3 resolves ties in favour of the target, as original SASRec's
/// `argsort().argsort()` with the target at index 0 does, so ``TieBreaking/optimistic`` is the
/// default and reproduces published numbers. It rewards a degenerate model: if every
/// item scores the same, every target ranks first. Reports on models that may collapse should
/// also show ``TieBreaking/pessimistic`` (every tied candidate ahead of the target) or
/// ``TieBreaking/expected`` (the exact mean over uniformly random orders of tied items).
///
/// Building the value costs O(N log T) for N items and T distinct target scores; every metric
/// then costs at most O(K) (or O(tied items) under `.expected`), so one value serves many K.
public struct ItemRanking: Sendable, Equatable {
    /// Where a target goes among candidates with exactly its score.
    public enum TieBreaking: String, Sendable, CaseIterable, Codable {
        /// Before every tied candidate: `r` = candidates strictly higher (sequential.md §0.3).
        case optimistic
        /// After every tied non-target candidate: `r` = candidates higher or equal.
        case pessimistic
        /// The expected metric when tied items are ordered uniformly at random.
        case expected
    }

    /// The targets that share one score, and the candidates around them.
    public struct TieGroup: Sendable, Equatable {
        /// Candidates (targets included) scoring strictly higher than this group.
        public let itemsAbove: Int
        /// Candidates with exactly this score, this group's targets included.
        public let tiedItems: Int
        /// Targets with this score.
        public let targets: Int
    }

    /// One group per distinct target score, highest score first.
    public let tieGroups: [TieGroup]
    /// How ties between a target and other candidates are broken.
    public let tieBreaking: TieBreaking
    /// Items ranked: all items minus the excluded non-target items.
    public let candidateCount: Int

    /// The number of distinct targets.
    public var targetCount: Int { tieGroups.reduce(0) { $0 + $1.targets } }

    /// Ranks held-out targets among all scored items.
    ///
    /// - Parameters:
    ///   - scores: One score per item of the catalogue (`[items]`); NaN throws. Exclude the
    ///     padding item 0 through `excluding` when it has a score.
    ///   - targets: The held-out items, as indices into `scores`; at least one. Repeated
    ///     indices count once.
    ///   - excluding: Items removed from the candidates, such as the user's history when
    ///     `maskHistory` is on. Targets listed here stay candidates (sequential.md §0.2).
    ///   - tieBreaking: How ties are broken; default `.optimistic` (sequential.md §0.3).
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no scores,
    ///   ``MetricError/invalidArgument(metric:message:)`` for no target or an index out of
    ///   range, and ``MetricError/invalidValue(metric:argument:index:value:expected:)`` for NaN.
    @inlinable
    public init<Score: BinaryFloatingPoint>(
        scores: [Score], targets: [Int], excluding: [Int] = [],
        tieBreaking: TieBreaking = .optimistic
    ) throws(MetricError) {
        try self.init(
            validating: Metrics.doubles(scores), targets: targets, excluding: excluding,
            tieBreaking: tieBreaking)
    }

    /// Ranks one held-out target among all scored items (the leave-one-out case).
    ///
    /// - Parameters:
    ///   - scores: One score per item of the catalogue; NaN throws.
    ///   - target: The held-out item, as an index into `scores`.
    ///   - excluding: Items removed from the candidates; the target always stays.
    ///   - tieBreaking: How ties are broken; default `.optimistic` (sequential.md §0.3).
    /// - Throws: As ``init(scores:targets:excluding:tieBreaking:)``.
    @inlinable
    public init<Score: BinaryFloatingPoint>(
        scores: [Score], target: Int, excluding: [Int] = [],
        tieBreaking: TieBreaking = .optimistic
    ) throws(MetricError) {
        try self.init(
            scores: scores, targets: [target], excluding: excluding, tieBreaking: tieBreaking)
    }

    @usableFromInline
    init(
        validating scores: [Double], targets: [Int], excluding excluded: [Int],
        tieBreaking: TieBreaking
    ) throws(MetricError) {
        let metric = "ranking"
        guard !scores.isEmpty else { throw .emptyInput(metric: metric) }
        guard !targets.isEmpty else {
            throw .invalidArgument(metric: metric, message: "expected at least one target item")
        }
        for (argument, items) in [("target", targets), ("excluded", excluded)] {
            if let item = items.first(where: { !scores.indices.contains($0) }) {
                throw .invalidArgument(
                    metric: metric,
                    message: "\(argument) item \(item) is outside the \(scores.count) scored items")
            }
        }
        try InputValidation.requireNoNaN(scores, argument: "scores", metric: metric)

        let targetSet = Set(targets)
        var targetsPerScore: [Double: Int] = [:]
        for target in targetSet { targetsPerScore[scores[target], default: 0] += 1 }
        let levels = targetsPerScore.keys.sorted(by: >)

        // tied[k] counts candidates scoring levels[k]; aboveFrom is a difference array whose
        // prefix sum at k counts candidates scoring above levels[k].
        var tied = [Int](repeating: 0, count: levels.count)
        var aboveFrom = [Int](repeating: 0, count: levels.count + 1)
        for score in scores {
            let (level, isTied) = Self.level(of: score, in: levels)
            if isTied { tied[level] += 1 }
            aboveFrom[isTied ? level + 1 : level] += 1
        }
        var removed = 0
        for item in Set(excluded) where !targetSet.contains(item) {
            let (level, isTied) = Self.level(of: scores[item], in: levels)
            if isTied { tied[level] -= 1 }
            aboveFrom[isTied ? level + 1 : level] -= 1
            removed += 1
        }

        var above = 0
        var groups: [TieGroup] = []
        for (index, level) in levels.enumerated() {
            above += aboveFrom[index]
            groups.append(
                TieGroup(
                    itemsAbove: above, tiedItems: tied[index], targets: targetsPerScore[level]!))
        }
        self.tieGroups = groups
        self.tieBreaking = tieBreaking
        self.candidateCount = scores.count - removed
    }

    /// The first level not above `score` (levels descend), and whether it equals `score`.
    private static func level(of score: Double, in levels: [Double]) -> (Int, Bool) {
        var low = 0
        var high = levels.count
        while low < high {
            let middle = (low + high) / 2
            if levels[middle] > score { low = middle + 1 } else { high = middle }
        }
        return (low, low < levels.count && levels[low] == score)
    }
}
