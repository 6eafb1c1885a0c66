/// The reward model q̂ of the direct method and DR: a smoothed click rate per (action,
/// position), fitted on the evaluated log only.
///
/// `q̂(a, k) = (clicks(a, k) + m · c_k) / (shown(a, k) + m)`, where `c_k` is the log's click rate
/// at position `k` and `m` the prior strength in pseudo-impressions (a Beta prior with mean
/// `c_k`): an (action, position) the log rarely shows keeps close to its position's rate, and
/// one it never shows gets exactly `c_k`. It ignores the user features, as Open Bandit's behaviour
/// policies do; with click rates near 0.4% and about 40 impressions per (action, position) in the
/// sample, a context model would have little to learn from. DR corrects whatever it misses.
public struct ClickRateRewardModel: Sendable, Equatable {
    /// The number of actions of the campaign.
    public let actionCount: Int
    /// The prior strength `m` in pseudo-impressions.
    public let priorStrength: Double
    /// `q̂` by `position * actionCount + action`, positions 0...3 (0 unused).
    private let rates: [Double]

    /// Fits the model on `log`, or on the given rounds of it (a bootstrap resample: repeats
    /// count as often as they occur).
    /// - Parameters:
    ///   - log: the evaluated log (its actions must lie in `0..<actionCount`).
    ///   - rounds: the rounds to fit on; `nil` for every round.
    ///   - actionCount: the campaign's action count.
    ///   - priorStrength: `m ≥ 0`; default 100 pseudo-impressions.
    public init(log: BanditLog, rounds: [Int]? = nil, actionCount: Int, priorStrength: Double = 100) {
        precondition(priorStrength >= 0, "the prior strength must be non-negative")
        self.actionCount = actionCount
        self.priorStrength = priorStrength
        let positions = BanditLog.positionRange.upperBound + 1
        var clicks = [Double](repeating: 0, count: positions * actionCount)
        var shown = [Double](repeating: 0, count: positions * actionCount)
        var positionClicks = [Double](repeating: 0, count: positions)
        var positionShown = [Double](repeating: 0, count: positions)
        let rounds = rounds ?? Array(0..<log.count)
        for round in rounds {
            let position = log.positions[round]
            clicks[position * actionCount + log.actions[round]] += log.rewards[round]
            shown[position * actionCount + log.actions[round]] += 1
            positionClicks[position] += log.rewards[round]
            positionShown[position] += 1
        }
        let overall = rounds.isEmpty ? 0 : positionClicks.reduce(0, +) / Double(rounds.count)
        rates = (0..<positions * actionCount).map { cell in
            let position = cell / actionCount
            let prior = positionShown[position] > 0 ? positionClicks[position] / positionShown[position] : overall
            let denominator = shown[cell] + priorStrength
            return denominator > 0 ? (clicks[cell] + priorStrength * prior) / denominator : prior
        }
    }

    /// q̂(action, position).
    public func prediction(action: Int, position: Int) -> Double {
        rates[position * actionCount + action]
    }

    /// q̂ of every round's logged action: `[rounds]`.
    public func loggedActionPredictions(_ log: BanditLog) -> [Double] {
        (0..<log.count).map { prediction(action: log.actions[$0], position: log.positions[$0]) }
    }
}
