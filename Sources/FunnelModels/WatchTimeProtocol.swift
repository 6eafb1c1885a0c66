/// How a watch-time task is scored (watchtime.md §0.4): the task's first output ranks each
/// user's rows against the binary relevance label (`long_view`, §0.2) — one global AUC, GAUC
/// weighted by positives (D2Co), per-user nDCG@K and MRR averaged over **all** users (users
/// without a positive count 0; ties: first occurrence first), XAUC and XGAUC of the score
/// against the observed watch time; an optional second output, a predicted watch time in
/// seconds, is scored by MAE, RMSE and XAUC against the observed watch time. A simulated
/// dataset's truth columns add `truth_*` metrics, and duration groups repeat the ranking
/// metrics on the rows of each group (`d1_auc`, `d2_ndcg@3`, …).
public struct WatchTimeProtocol: Sendable, Equatable, Codable {
    /// The observed (truncated) watch-time label column, `w = min(w^c, d)`.
    public var watchTime: String
    /// The duration label column.
    public var duration: String
    /// The K of the per-user `ndcg@K` (each at least 1).
    public var cutoffs: [Int]
    /// Upper bounds in seconds of all groups but the last, strictly increasing: groups
    /// `(−∞, b0]`, `(b0, b1]`, …, `(b_last, ∞)` of the duration; empty: no groups.
    public var durationGroups: [Float]
    /// The truth column of interest in [0, 1] (used only if the dataset has it with role
    /// truth); `nil`: none.
    public var interestTruth: String?
    /// The truth column of the counterfactual watch time (used only if the dataset has it with
    /// role truth); `nil`: none.
    public var watchTimeTruth: String?

    public init(
        watchTime: String = "watch_time", duration: String = "duration", cutoffs: [Int] = [1, 3, 5], durationGroups: [Float] = [],
        interestTruth: String? = "interest", watchTimeTruth: String? = "counterfactual_watch_time"
    ) {
        self.watchTime = watchTime
        self.duration = duration
        self.cutoffs = cutoffs
        self.durationGroups = durationGroups
        self.interestTruth = interestTruth
        self.watchTimeTruth = watchTimeTruth
    }

    private enum CodingKeys: String, CodingKey {
        case watchTime, duration, cutoffs, durationGroups, interestTruth, watchTimeTruth
    }

    /// Absent fields keep their defaults; an explicit `null` truth column turns it off.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = WatchTimeProtocol()
        watchTime = try container.decodeIfPresent(String.self, forKey: .watchTime) ?? defaults.watchTime
        duration = try container.decodeIfPresent(String.self, forKey: .duration) ?? defaults.duration
        cutoffs = try container.decodeIfPresent([Int].self, forKey: .cutoffs) ?? defaults.cutoffs
        durationGroups = try container.decodeIfPresent([Float].self, forKey: .durationGroups) ?? defaults.durationGroups
        interestTruth = container.contains(.interestTruth)
            ? try container.decodeIfPresent(String.self, forKey: .interestTruth) : defaults.interestTruth
        watchTimeTruth = container.contains(.watchTimeTruth)
            ? try container.decodeIfPresent(String.self, forKey: .watchTimeTruth) : defaults.watchTimeTruth
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(watchTime, forKey: .watchTime)
        try container.encode(duration, forKey: .duration)
        try container.encode(cutoffs, forKey: .cutoffs)
        try container.encode(durationGroups, forKey: .durationGroups)
        try container.encode(interestTruth, forKey: .interestTruth)
        try container.encode(watchTimeTruth, forKey: .watchTimeTruth)
    }

    /// The number of duration groups: `durationGroups.count + 1`, or 0 without bounds.
    public var durationGroupCount: Int { durationGroups.isEmpty ? 0 : durationGroups.count + 1 }

    /// The 0-based duration group of a duration: the number of bounds it exceeds (NaN: none).
    public func durationGroup(of duration: Double) -> Int? {
        guard !durationGroups.isEmpty, !duration.isNaN else { return nil }
        return durationGroups.reduce(0) { $0 + (duration > Double($1) ? 1 : 0) }
    }

    /// A group's interval as text, e.g. `(−∞, 30]`, `(30, 60]`, `(60, ∞)` (0-based group).
    public func durationGroupDescription(_ group: Int) -> String {
        func text(_ bound: Float) -> String { bound == bound.rounded() && abs(bound) < 1e9 ? String(Int(bound)) : "\(bound)" }
        let lower = group == 0 ? "(−∞" : "(\(text(durationGroups[group - 1]))"
        let upper = group == durationGroups.count ? "∞)" : "\(text(durationGroups[group]))]"
        return "\(lower), \(upper)"
    }
}
