import Foundation
import FunnelTraining

/// What `funnel ecpo run` measured (conversational.md §4): per agent the success rate, recall,
/// mean non-zero ratings, calls per dialogue and win rate against the expert, each rate with
/// its standard error over the test personas; the paired differences SGPT − base and
/// ECPO − SGPT persona by persona; the training of both stages; and each stage's time and calls,
/// split into model work and the pipeline's own overhead. Every figure names its models.
public struct ECPOReport: Codable, Sendable, Equatable {
    /// One agent's figures.
    public struct AgentResult: Codable, Sendable, Equatable {
        public var agent: AgentKind
        /// The policy model as the agent ran it (with its adapters).
        public var model: String
        public var metrics: DialogueMetrics
        public var successStandardError: Double
        /// WR against the expert (0.5: as good), its standard error, and per criterion.
        public var winRate: Double
        public var winRateStandardError: Double
        public var criteria: [String: Double]
        /// Comparisons the judge could not decide (left out of the win rate).
        public var judgeFailures: Int
    }

    /// A paired difference over the same test personas: mean and standard error of the mean.
    public struct Difference: Codable, Sendable, Equatable {
        public var name: String
        public var mean: Double
        public var standardError: Double
        public var personas: Int
    }

    public var name: String
    public var seed: UInt64
    /// Model by role: policy, expert, simulator, rewriter, judge, embedder.
    public var models: [String: String]
    public var trainingPersonas: Int
    public var testPersonas: Int
    public var threshold: Int
    public var agents: [AgentResult]
    public var differences: [Difference]
    public var planningTuning: AdapterTrainer.Report?
    public var preferenceOptimisation: AdapterTrainer.Report?
    public var pairs: PreferencePairBuilder.Statistics?
    /// The expert's dialogues with the training personas (SGPT's source).
    public var expertTrainingSuccess: Double?
    public var costs: [StageCost]

    /// The whole run's seconds, model seconds (calls, training, embedding, loading) and the
    /// overhead's share.
    public var totalSeconds: Double { costs.reduce(0) { $0 + $1.seconds } }
    public var modelSeconds: Double { costs.reduce(0) { $0 + $1.callSeconds + $1.modelSeconds } }
    public var overheadFraction: Double { totalSeconds > 0 ? max(totalSeconds - modelSeconds, 0) / totalSeconds : 0 }

    /// Mean and standard error of the mean (`s / √n`, 0 for fewer than two values), from
    /// FunnelTraining's ``ExperimentSummary/Statistic`` (two-pass sample deviation).
    static func meanAndError(_ values: [Double]) -> (mean: Double, error: Double) {
        let statistic = ExperimentSummary.Statistic(values: values)
        let deviation = statistic.standardDeviation ?? 0
        return (statistic.mean ?? 0, deviation / Double(max(statistic.count, 1)).squareRoot())
    }

    /// The paired difference `after − before` of `value` over the personas both have.
    static func difference(
        _ name: String, before: [DialogueRecord], after: [DialogueRecord], value: (DialogueRecord) -> Double
    ) -> Difference {
        let earlier = Dictionary(before.map { ($0.personaId, value($0)) }, uniquingKeysWith: { first, _ in first })
        let deltas = after.compactMap { record in earlier[record.personaId].map { value(record) - $0 } }
        let (mean, error) = meanAndError(deltas)
        return Difference(name: name, mean: mean, standardError: error, personas: deltas.count)
    }
}
