/// The logged rounds an off-policy estimator reads: one entry per round `i` of a behaviour
/// policy π₀'s log, all arrays of the same length `n`.
///
/// - `rewards`: the observed reward `r_i` of the logged action (a click: 0 or 1).
/// - `loggingPropensities`: `p_i = π₀(a_i | x_i)`, the probability with which the logging policy
///   chose the logged action, in `(0, 1]`. For a slate log such as Open Bandit it is position-wise:
///   the probability of that item at that position.
/// - `targetProbabilities`: `π(a_i | x_i)`, the target policy's probability of the same action (at
///   the same position), in `[0, 1]`.
/// - `rewardPredictions`: for the direct method and DR, a reward model's `q̂(x_i, a_i)` of the
///   logged action.
/// - `targetRewardPredictions`: for the direct method and DR, `Σ_a π(a | x_i) q̂(x_i, a)`, the
///   reward model's expectation under the target policy.
public struct LoggedRounds: Sendable, Equatable {
    public var rewards: [Double]
    public var loggingPropensities: [Double]
    public var targetProbabilities: [Double]
    public var rewardPredictions: [Double]?
    public var targetRewardPredictions: [Double]?

    /// Checks the rounds: equal lengths, at least one round, finite values, propensities in
    /// `(0, 1]` and target probabilities in `[0, 1]`.
    /// - Throws: ``MetricError`` naming the argument and the index of the first bad value.
    public init(
        rewards: [Double], loggingPropensities: [Double], targetProbabilities: [Double],
        rewardPredictions: [Double]? = nil, targetRewardPredictions: [Double]? = nil
    ) throws(MetricError) {
        let metric = "off-policy evaluation"
        guard !rewards.isEmpty else { throw .emptyInput(metric: metric) }
        let count = rewards.count
        try InputValidation.requireCount(
            loggingPropensities.count, count, argument: "loggingPropensities", metric: metric)
        try InputValidation.requireCount(
            targetProbabilities.count, count, argument: "targetProbabilities", metric: metric)
        try Self.requireFinite(rewards, argument: "rewards", metric: metric)
        if let index = loggingPropensities.firstIndex(where: { !($0 > 0 && $0 <= 1) }) {
            throw .invalidValue(
                metric: metric, argument: "loggingPropensities", index: index,
                value: loggingPropensities[index], expected: "a probability in (0, 1]")
        }
        try InputValidation.requireWithin(
            targetProbabilities, 0...1, argument: "targetProbabilities", metric: metric)
        for (name, values) in [
            ("rewardPredictions", rewardPredictions), ("targetRewardPredictions", targetRewardPredictions),
        ] {
            guard let values else { continue }
            try InputValidation.requireCount(values.count, count, argument: name, metric: metric)
            try Self.requireFinite(values, argument: name, metric: metric)
        }
        self.rewards = rewards
        self.loggingPropensities = loggingPropensities
        self.targetProbabilities = targetProbabilities
        self.rewardPredictions = rewardPredictions
        self.targetRewardPredictions = targetRewardPredictions
    }

    /// The number of rounds.
    public var count: Int { rewards.count }

    /// The importance weight `w_i = π(a_i | x_i) / π₀(a_i | x_i)` of round `i`.
    public func importanceWeight(_ index: Int) -> Double {
        targetProbabilities[index] / loggingPropensities[index]
    }

    private static func requireFinite(
        _ values: [Double], argument: String, metric: String
    ) throws(MetricError) {
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw .invalidValue(
                metric: metric, argument: argument, index: index, value: values[index],
                expected: "a finite number")
        }
    }
}

/// The estimators of a target policy's value `V(π) = E_x E_{a∼π}[r]` from a log of another
/// policy π₀, each a mean over the rounds (``estimate(on:rounds:)`` takes the rounds to average,
/// so a bootstrap resample with repeats is evaluated without copying).
public enum OffPolicyEstimator: String, CaseIterable, Codable, Sendable {
    /// Inverse propensity scoring, `mean_i(w_i r_i)`: the Horvitz–Thompson estimator (Horvitz &
    /// Thompson, *A Generalization of Sampling Without Replacement from a Finite Universe*, JASA
    /// 1952). Unbiased when π₀ > 0 wherever π > 0.
    case ips
    /// Self-normalised IPS, `Σ_i w_i r_i / Σ_i w_i` (Swaminathan & Joachims, *The
    /// Self-Normalized Estimator for Counterfactual Learning*, NeurIPS 2015): biased but
    /// consistent, with far smaller variance when weights are large.
    case snips
    /// The direct method, `mean_i Σ_a π(a | x_i) q̂(x_i, a)`: the reward model's value of π.
    case dm
    /// Doubly robust, `mean_i [Σ_a π(a | x_i) q̂(x_i, a) + w_i (r_i − q̂(x_i, a_i))]` (Dudík,
    /// Langford & Li, *Doubly Robust Policy Evaluation and Learning*, ICML 2011, arXiv
    /// 1103.4601): unbiased when either the propensities or the reward model are right.
    case dr

    /// Whether the estimator needs the reward model's predictions.
    public var needsRewardModel: Bool { self == .dm || self == .dr }

    /// The estimate over `rounds` (indices into `data`, repeats allowed).
    /// - Throws: ``MetricError/invalidArgument(metric:message:)`` when DM or DR is asked without
    ///   reward predictions, or SNIPS over rounds whose weights sum to 0 (the target puts no mass
    ///   on any logged action).
    public func estimate(on data: LoggedRounds, rounds: [Int]? = nil) throws(MetricError) -> Double {
        let indices = rounds ?? Array(0..<data.count)
        guard !indices.isEmpty else { throw .emptyInput(metric: rawValue) }
        var total = 0.0, weights = 0.0
        switch self {
        case .ips, .snips:
            for index in indices {
                let weight = data.importanceWeight(index)
                total += weight * data.rewards[index]
                weights += weight
            }
            if self == .ips { return total / Double(indices.count) }
            guard weights > 0 else {
                throw .invalidArgument(
                    metric: rawValue,
                    message: "the importance weights sum to 0: the target policy gives probability 0 "
                        + "to every logged action")
            }
            return total / weights
        case .dm, .dr:
            guard let predictions = data.rewardPredictions,
                let expectations = data.targetRewardPredictions
            else {
                throw .invalidArgument(
                    metric: rawValue, message: "needs rewardPredictions and targetRewardPredictions")
            }
            for index in indices {
                total += expectations[index]
                if self == .dr {
                    total += data.importanceWeight(index) * (data.rewards[index] - predictions[index])
                }
            }
            return total / Double(indices.count)
        }
    }
}
