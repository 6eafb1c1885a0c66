import FunnelData
import FunnelModels

/// "Serve, then learn" (adaptation.md §2.4): after training, the evaluation split is replayed
/// in time order in chunks — each chunk is predicted with the model and memory as they stand,
/// scored, and only then are its labels written into the error memory and, optionally, learnt
/// by incremental training steps.
///
/// JSON: `"replay": {"chunkSize": 1024, "reLoop": {"memory": "sketch"}, "incrementalSteps": 1}`
/// in a training configuration (an experiment's models override it under `training`).
public struct ReplayConfiguration: Codable, Sendable, Equatable {
    /// The split replayed (`nil`: the evaluation split).
    public var split: String?
    /// The first day replayed (`nil`: the split's first day); earlier rows are not replayed.
    public var startDay: Int64?
    /// Rows per chunk (ReLoop2 splits its production test hours into 12 parts; 1024 rows
    /// [ASSUMED]).
    public var chunkSize = 1024
    /// Training steps on each chunk once its labels are known (0: none), each on the whole
    /// chunk; a fresh Adam of `incrementalLearningRate` carries across chunks.
    public var incrementalSteps = 0
    /// `nil`: the training configuration's learning rate.
    public var incrementalLearningRate: Float?
    /// ReLoop2's error memory (`nil`: none).
    public var reLoop: ReLoopConfiguration?
    /// The `Linear` layer whose input is the memory's key, by module path (e.g.
    /// `tower.layers.2`); `nil`: the model's last `Linear` layer, whose input is its last hidden
    /// layer (§2.1).
    public var hiddenLayer: String?
    /// Empty the memory after each incremental update (its stored base predictions are stale
    /// then, §2.7); `false` [ASSUMED] keeps it, as the paper's IncCTR + ReLoop2 runs leave open.
    public var resetMemoryOnUpdate = false
    /// The day a shift happened (`nil`: none): the recovery figure counts the chunks from it
    /// until the chunk metric is back within `recoveryTolerance` of its mean before the shift.
    public var shiftDay: Int64?
    public var recoveryTolerance = 0.01
    /// The chunk metric the recovery figure follows: `auc`, `truth_auc` or `logloss`.
    public var recoveryMetric = "auc"

    public init() {}

    /// Fields left out keep their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        split = try container.decodeIfPresent(String.self, forKey: .split)
        startDay = try container.decodeIfPresent(Int64.self, forKey: .startDay)
        chunkSize = try container.decodeIfPresent(Int.self, forKey: .chunkSize) ?? chunkSize
        incrementalSteps = try container.decodeIfPresent(Int.self, forKey: .incrementalSteps) ?? incrementalSteps
        incrementalLearningRate = try container.decodeIfPresent(Float.self, forKey: .incrementalLearningRate)
        reLoop = try container.decodeIfPresent(ReLoopConfiguration.self, forKey: .reLoop)
        hiddenLayer = try container.decodeIfPresent(String.self, forKey: .hiddenLayer)
        resetMemoryOnUpdate = try container.decodeIfPresent(Bool.self, forKey: .resetMemoryOnUpdate) ?? resetMemoryOnUpdate
        shiftDay = try container.decodeIfPresent(Int64.self, forKey: .shiftDay)
        recoveryTolerance = try container.decodeIfPresent(Double.self, forKey: .recoveryTolerance) ?? recoveryTolerance
        recoveryMetric = try container.decodeIfPresent(String.self, forKey: .recoveryMetric) ?? recoveryMetric
    }

    /// Refuses impossible values, naming the field under `context` (e.g. `replay`).
    public func validate(context: String) throws {
        func refuse(_ name: String, _ message: String) -> StrictJSON.Error {
            StrictJSON.Error(description: "field '\(context).\(name)': \(message)")
        }
        guard chunkSize >= 1 else { throw refuse("chunkSize", "\(chunkSize); expected a number of rows >= 1") }
        guard incrementalSteps >= 0 else { throw refuse("incrementalSteps", "\(incrementalSteps); expected 0 or more steps") }
        if let rate = incrementalLearningRate, !(rate > 0 && rate.isFinite) {
            throw refuse("incrementalLearningRate", "\(rate); expected a positive learning rate")
        }
        if let split, split.isEmpty { throw refuse("split", "'' is not a split name") }
        if let hiddenLayer, hiddenLayer.isEmpty { throw refuse("hiddenLayer", "'' is not a module path") }
        guard recoveryTolerance >= 0, recoveryTolerance.isFinite else {
            throw refuse("recoveryTolerance", "\(recoveryTolerance); expected a tolerance >= 0")
        }
        guard ["auc", "truth_auc", "logloss"].contains(recoveryMetric) else {
            throw refuse("recoveryMetric", "'\(recoveryMetric)'; expected auc, truth_auc or logloss")
        }
        try reLoop?.validate(ModelConfigurationCheck("\(context).reLoop"))
    }
}
