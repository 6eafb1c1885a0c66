import FunnelData
import FunnelMetrics

/// Off-policy evaluation of a target policy on one campaign of a bandit dataset: IPS, SNIPS,
/// the direct method and DR (``OffPolicyEstimator``) from a logged split, each with a percentile
/// bootstrap interval, beside the on-policy truth when a log of the target policy itself exists.
///
/// The Open Bandit experiment (Saito et al., NeurIPS 2021 D&B, arXiv 2008.07146): the value of
/// Bernoulli Thompson sampling estimated from the uniform `random` log, against the mean click of
/// the `bts` log.
public enum OffPolicyEvaluation {
    /// Where the target policy comes from.
    public enum Target: Sendable, Equatable {
        /// The behaviour policy of another split, estimated per position
        /// (``TargetDistribution/behaviourPolicy(of:for:actionCount:)``).
        case behaviourLog(split: String)
        /// A distribution file (``TargetDistribution/read(file:log:actionCount:)``).
        case file(String)
        /// A trained model's scores through a softmax with a temperature
        /// (``TargetDistribution/softmaxOfScores(model:dataset:log:actionCount:temperature:source:)``).
        case model(checkpoint: String, temperature: Double)
    }

    /// The settings of an evaluation.
    public struct Configuration: Sendable, Equatable {
        /// The logged split the estimators read.
        public var logSplit = "random"
        /// The split logged by the target policy itself, whose mean reward is the truth; `nil`
        /// for none.
        public var onPolicySplit: String? = "bts"
        /// The target policy.
        public var target = Target.behaviourLog(split: "bts")
        /// The bootstrap resample count.
        public var resamples = 1000
        /// The bootstrap seed (every estimator and the truth resample with it).
        public var seed: UInt64 = 1
        /// The confidence level of the intervals.
        public var level = 0.95
        /// The reward model's prior strength (``ClickRateRewardModel``).
        public var priorStrength = 100.0

        public init() {}
    }

    /// One estimator's line of a report.
    public struct EstimateLine: Sendable, Equatable, Codable {
        public var estimator: OffPolicyEstimator
        public var interval: BootstrapInterval
        /// `(estimate − truth) / truth`, when there is a truth with a positive value.
        public var relativeError: Double?
    }

    /// The evaluation of one campaign.
    public struct CampaignReport: Sendable, Equatable, Codable {
        public var campaign: String
        public var logSplit: String
        public var rounds: Int
        public var actionCount: Int
        public var target: String
        public var rewardModel: String
        public var estimates: [EstimateLine]
        /// The split the truth comes from, its round count and its mean reward with its interval.
        public var onPolicySplit: String?
        public var onPolicyRounds: Int?
        public var truth: BootstrapInterval?
    }

    /// Evaluates the target policy on one campaign.
    /// - Throws: ``DataError`` for a missing split, column or campaign, ``OffPolicyInputError``
    ///   for a refused target file, ``MetricError`` for invalid logged values (a propensity
    ///   outside (0, 1]).
    public static func evaluate(dataset: Dataset, campaign: String, configuration: Configuration) throws -> CampaignReport {
        let log = try BanditLog.load(dataset: dataset, split: configuration.logSplit, campaign: campaign)
        let onPolicy = try configuration.onPolicySplit.map {
            try BanditLog.load(dataset: dataset, split: $0, campaign: campaign)
        }
        var logs = [log] + (onPolicy.map { [$0] } ?? [])
        if case .behaviourLog(let split) = configuration.target, split != configuration.onPolicySplit {
            logs.append(try BanditLog.load(dataset: dataset, split: split, campaign: campaign))
        }
        let actionCount = BanditLog.actionCount(logs)
        let target: TargetDistribution
        switch configuration.target {
        case .behaviourLog(let split):
            target = try TargetDistribution.behaviourPolicy(
                of: logs.first { $0.split == split }!, for: log, actionCount: actionCount)
        case .file(let path):
            target = try TargetDistribution.read(file: path, log: log, actionCount: actionCount)
        case .model(let checkpoint, let temperature):
            let trained = try TrainedModel.load(checkpoint: checkpoint, data: dataset.directory)
            target = try TargetDistribution.softmaxOfScores(
                model: trained.model, dataset: trained.dataset, log: log, actionCount: actionCount, temperature: temperature,
                source: "checkpoint \(trained.checkpoint)")
        }
        let targetProbabilities = target.loggedActionProbabilities(log)
        let groups = target.distinctRounds(log)
        // The reward model is refitted on every resample, so the intervals of DM and DR include
        // its estimation error (fitted once, DM's interval would only show the spread of Σ_a π q̂
        // over rounds).
        func loggedRounds(_ indices: [Int]) throws(MetricError) -> LoggedRounds {
            let model = ClickRateRewardModel(
                log: log, rounds: indices, actionCount: actionCount, priorStrength: configuration.priorStrength)
            let expectations = groups.expectations { model.prediction(action: $0, position: $1) }
            return try LoggedRounds(
                rewards: indices.map { log.rewards[$0] }, loggingPropensities: indices.map { log.propensities[$0] },
                targetProbabilities: indices.map { targetProbabilities[$0] },
                rewardPredictions: indices.map { model.prediction(action: log.actions[$0], position: log.positions[$0]) },
                targetRewardPredictions: indices.map { expectations[groups.groupOfRound[$0]] })
        }
        let rounds: LoggedRounds
        do {
            rounds = try loggedRounds(Array(0..<log.count))
        } catch {
            let row = error.rowIndex.map { " (round \($0) of campaign '\(campaign)')" } ?? ""
            throw OffPolicyInputError(file: "split '\(log.split)'", line: nil, message: error.description + row)
        }
        let truth = try onPolicy.map { onPolicy in
            try BootstrapInterval(
                count: onPolicy.count, resamples: configuration.resamples, level: configuration.level,
                seed: configuration.seed
            ) { indices throws(MetricError) in BanditLog.mean(onPolicy.rewards, rounds: indices) }
        }
        let estimates = try OffPolicyEstimator.allCases.map { estimator in
            let interval = try BootstrapInterval(
                count: rounds.count, resamples: configuration.resamples, level: configuration.level,
                seed: configuration.seed
            ) { indices throws(MetricError) in
                estimator.needsRewardModel
                    ? try estimator.estimate(on: loggedRounds(indices))
                    : try estimator.estimate(on: rounds, rounds: indices)
            }
            let relativeError = truth.flatMap { $0.estimate > 0 ? (interval.estimate - $0.estimate) / $0.estimate : nil }
            return EstimateLine(estimator: estimator, interval: interval, relativeError: relativeError)
        }
        return CampaignReport(
            campaign: campaign, logSplit: log.split, rounds: log.count, actionCount: actionCount,
            target: target.source,
            rewardModel: "click rate per (action, position) of split '\(log.split)', smoothed towards the "
                + "position's click rate with \(configuration.priorStrength) pseudo-impressions, refitted on every resample",
            estimates: estimates, onPolicySplit: onPolicy?.split, onPolicyRounds: onPolicy?.count, truth: truth)
    }
}
