import FunnelData

/// D2Q's label: the percentile of a watch time among the training watch times of its duration
/// group (Zhan et al., "Deconfounding Duration Bias in Watch-time Prediction for Video
/// Recommendation", KDD 2022, arXiv 2206.06003; watchtime.md §0.5).
///
/// Groups are the equal-frequency bins of the training durations (pandas `qcut` with
/// `duplicates="drop"`: edges at the `k/G` quantiles by linear interpolation, repeated edges
/// dropped, bins closed on the right, the first also on the left); a duration outside the
/// training range joins the nearest end bin.
public struct DurationQuantiles: Sendable {
    /// How the percentile is taken.
    public enum Ranking: String, Codable, Sendable, CaseIterable {
        /// D2Co's repository: `0.01·percentileofscore(group, w)` with SciPy's default kind
        /// "rank" — the mean of the percentage ranks of all values equal to `w` (75 for w = 3
        /// in [1, 2, 3, 4]).
        case percentile
        /// CWM's repository: `dense_rank(w) / max dense_rank` in the group.
        case dense
    }

    /// The bin edges, ascending and distinct (G + 1 at most).
    public let edges: [Float]
    /// Each group's training watch times, ascending.
    let sortedValues: [[Float]]
    /// Each group's distinct training watch times, ascending.
    let distinctValues: [[Float]]
    public let ranking: Ranking

    /// - Parameters:
    ///   - groups: G (D2Co's default 30, CWM's script 60).
    public init(watchTimes: [Float], durations: [Float], groups: Int, ranking: Ranking) {
        precondition(!durations.isEmpty && groups >= 1, "Funnel: D2Q needs training rows and a group")
        let sortedDurations = durations.map(Double.init).sorted()
        var edges: [Float] = []
        for step in 0...groups {
            let edge = Float(RelevanceRule.linearQuantile(sorted: sortedDurations, Double(step) / Double(groups)))
            if edges.last != edge { edges.append(edge) }
        }
        self.edges = edges
        self.ranking = ranking
        var members = [[Float]](repeating: [], count: Swift.max(edges.count - 1, 1))
        for (watchTime, duration) in zip(watchTimes, durations) {
            members[Self.group(of: duration, edges: edges)].append(watchTime)
        }
        sortedValues = members.map { $0.sorted() }
        distinctValues = sortedValues.map { values in
            var distinct: [Float] = []
            for value in values where distinct.last != value { distinct.append(value) }
            return distinct
        }
    }

    /// The label of a watch time of a duration, in [0, 1].
    public func label(watchTime: Float, duration: Float) -> Float {
        let group = Self.group(of: duration, edges: edges)
        switch ranking {
        case .percentile:
            let values = sortedValues[group]
            guard !values.isEmpty else { return 0 }
            let left = Self.count(values, below: watchTime, inclusive: false)
            let right = Self.count(values, below: watchTime, inclusive: true)
            let tied = left < right ? 1 : 0
            return Float(Double(left + right + tied) * 0.5 / Double(values.count))
        case .dense:
            let values = distinctValues[group]
            guard !values.isEmpty else { return 0 }
            return Float(Self.count(values, below: watchTime, inclusive: true)) / Float(values.count)
        }
    }

    /// The bin of a duration: the first whose right edge is ≥ it, end bins for the outside.
    static func group(of duration: Float, edges: [Float]) -> Int {
        guard edges.count > 2 else { return 0 }
        var low = 1
        var high = edges.count - 1
        while low < high {
            let middle = (low + high) / 2
            if edges[middle] < duration { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }

    /// The number of sorted values `< value` (or `≤ value` when inclusive).
    static func count(_ sorted: [Float], below value: Float, inclusive: Bool) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value || (inclusive && sorted[middle] == value) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
