import FunnelData
import FunnelNN
import FunnelTensor

/// A CTR backbone (FM, DeepFM, AutoInt) trained on watch time through one of the methods of
/// watchtime.md: a label fitted on the training split and learnt with cross-entropy (the §0.5
/// baselines and D2Co, §1), or CWM's censored likelihood (§2).
///
/// Shapes: a batch of `n` rows → `score` `[n]`, the backbone's logit (the ranking score; for
/// CWM the interest logit); CWM adds `predicted_watch_time` `[n]` in seconds when evaluating.
/// Scored by the watch-time task (§0.4) against the relevance label (§0.2). Duration is read
/// from its label column and never enters the backbone.
public final class WatchTimeModel: Module, RegisteredModel {
    public static let summary = """
        a CTR backbone (fm, deepfm, autoint) trained on a watch-time label fitted on the training split: \
        watch-time, pcr, wtg, d2q, d2q-dense, wlr, ndt, d2co (watchtime.md §0.5; inputs: features, watch_time, duration, \
        a relevance label)
        """
    public static let d2coSummary = """
        D2Co (Zhao et al., RecSys 2023): duration-wise mixtures correct watch time into an interest label, learnt by a CTR \
        backbone (watchtime.md §1; labelOptions.d2co.alpha 0 is the affine D2Co(A))
        """
    public static let counterfactualSummary = """
        CWM (Zhao et al., KDD 2024): a CTR backbone's logit trained by the censored likelihood of the counterfactual \
        watch time, complete plays as 'at least the duration' (watchtime.md §2)
        """

    /// How the backbone learns from watch time.
    public enum Method: Sendable, Equatable {
        /// Cross-entropy against a fitted label (and its sample weights).
        case label(WatchTimeLabel.Kind)
        /// CWM's counterfactual likelihood.
        case counterfactual
    }

    public struct Configuration: ModelConfiguration, Equatable {
        /// The label learnt (`watch-time` only; `nil`: `watch-time`). `d2co` and `cwm` fix it.
        public var label: WatchTimeLabel.Kind?
        public var labelOptions = WatchTimeLabel.Options()
        /// CWM's c⁻¹ and σ.
        public var cwm = CounterfactualWatchLikelihood()
        public var backbone: CTRBackboneKind = .fm
        public var network = CTRNetworkConfiguration()
        /// Input features; `label` names the watch-time column (seconds, truncated to the duration).
        public var features = FeatureSelection(label: "watch_time")
        /// The duration column (seconds).
        public var duration = "duration"
        /// The binary relevance label evaluation ranks by (§0.2: `long_view`, or
        /// `long_view_quantile` for CWM's rule).
        public var relevance = "long_view"
        /// The split the label is fitted on.
        public var trainSplit = "train"
        /// Upper bounds (seconds) of the evaluation's duration groups but the last; `nil`: the
        /// quartiles of the training durations [ASSUMED].
        public var durationGroups: [Float]?

        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try network.validate()
            try check.positive(labelOptions.durationQuantileGroups, "labelOptions.durationQuantileGroups")
            try check.positive(labelOptions.d2co.window, "labelOptions.d2co.window")
            try check.positive(labelOptions.d2co.minimumRecords, "labelOptions.d2co.minimumRecords")
            try check.positive(cwm.costInverse, "cwm.costInverse")
            try check.positive(cwm.sigma, "cwm.sigma")
            if labelOptions.weightedQuantile < 0 || labelOptions.weightedQuantile > 1 {
                throw check.refusal("labelOptions.weightedQuantile", "expected a quantile in [0, 1]")
            }
        }
    }

    public let backboneNetwork: any CTRBackbone
    public let method: Method
    public let fittedLabel: WatchTimeLabel?
    public let configuration: Configuration
    let durationBounds: [Float]

    public convenience init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try self.init(dataset: dataset, configuration: configuration, method: .label(configuration.label ?? .watchTime), seed: seed)
    }

    public init(dataset: Dataset, configuration: Configuration, method: Method, seed: UInt64) throws {
        if let label = configuration.label, method != .label(label) {
            throw ModelConfigurationCheck().refusal(
                "label", "this model fixes its method (\(method)); choose a label with the model 'watch-time'")
        }
        var generator = RandomGenerator(seed: seed)
        backboneNetwork = try configuration.backbone.make(
            dataset: dataset, features: configuration.features, network: configuration.network, generator: &generator)
        let watchTimes = try dataset.rowValues(split: configuration.trainSplit, column: configuration.features.label)
        let durations = try dataset.rowValues(split: configuration.trainSplit, column: configuration.duration)
        if case .label(let kind) = method {
            fittedLabel = try WatchTimeLabel.fit(kind, watchTimes: watchTimes, durations: durations, options: configuration.labelOptions)
        } else {
            fittedLabel = nil
        }
        durationBounds = configuration.durationGroups ?? Self.quartiles(durations)
        self.method = method
        self.configuration = configuration
        super.init()
    }

    /// The distinct quartiles of the training durations.
    static func quartiles(_ durations: [Float]) -> [Float] {
        guard !durations.isEmpty else { return [] }
        let sorted = durations.map(Double.init).sorted()
        var bounds: [Float] = []
        for quarter in 1...3 {
            let bound = Float(RelevanceRule.linearQuantile(sorted: sorted, Double(quarter) / 4))
            if bounds.last != bound { bounds.append(bound) }
        }
        return bounds
    }

    public var requirements: DataRequirements {
        DataRequirements(columns: backboneNetwork.columns.union([
            configuration.features.label, configuration.duration, configuration.relevance,
        ]))
    }

    public var evaluationTasks: [EvaluationTask] {
        let outputs = method == .counterfactual ? ["score", "predicted_watch_time"] : ["score"]
        return [
            EvaluationTask(
                name: "", outputs: outputs, label: configuration.relevance, truth: nil, scoreDescription: "score",
                kind: .watchTime(WatchTimeProtocol(
                    watchTime: configuration.features.label, duration: configuration.duration, durationGroups: durationBounds)))
        ]
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let logits = try backboneNetwork.logits(batch)
        var outputs = ["score": logits]
        if method == .counterfactual && !isTraining {
            let durations = try batch.tensor(configuration.duration).scalars
            outputs["predicted_watch_time"] = Tensor(zip(logits.scalars, durations).map {
                configuration.cwm.predictedWatchTime(logit: $0, duration: $1)
            })
        }
        return outputs
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let logits = outputs["score"]!
        let watchTimes = try batch.tensor(configuration.features.label).scalars
        let durations = try batch.tensor(configuration.duration).scalars
        guard let fittedLabel else {
            return Objective(configuration.cwm.loss(logits: logits, watchTimes: watchTimes, durations: durations))
        }
        let (labels, weights) = fittedLabel.values(watchTimes: watchTimes, durations: durations, options: configuration.labelOptions)
        let weighted = weights.contains { $0 != 1 }
        return Objective(Losses.binaryCrossEntropy(logits: logits, labels: Tensor(labels), weights: weighted ? Tensor(weights) : nil))
    }

    public static var testFixture: ModelFixture {
        ModelFixture(world: "watchtime")
    }
}
