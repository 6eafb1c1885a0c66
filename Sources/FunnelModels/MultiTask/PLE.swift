import FunnelData
import FunnelNN
import FunnelTensor

/// PLE, progressive layered extraction (Tang et al., RecSys 2020, DOI 10.1145/3383313.3412236;
/// multitask.md §2): levels of shared and task-specific experts with task gates and a shared
/// gate (``ProgressiveLayeredExtraction``), one tower per task.
public final class PLEModel: Module, MultiTaskModel, RegisteredModel {
    public static let summary = "PLE: progressive layered extraction, shared and task experts per level (RecSys 2020; tasks' labels, default click, conversion)"
    public static var testFixture: ModelFixture {
        ModelFixture(configuration: #"{"embeddingDimensions": 4, "sharedExperts": 2, "taskExperts": 1, "levelWidths": [16, 8], "towerHidden": [8]}"#)
    }

    public struct Configuration: MultiTaskConfiguration, Equatable {
        public var tasks = Self.defaultTasks
        public var categorical: [String]?
        public var dense: [String]?
        public var embeddingDimensions = 128
        public var towerHidden = [128, 64]
        public var dropout: Float = 0.2
        public var batchNorm = true
        /// `m_s` per level (4).
        public var sharedExperts = 4
        /// `m_t` per task and level (4).
        public var taskExperts = 4
        /// Each level's width; one level per entry ((512, 256)).
        public var levelWidths = [512, 256]
        public init() {}

        public func validate() throws {
            try validateMultiTask()
            let check = ModelConfigurationCheck()
            for (value, field) in [(sharedExperts, "sharedExperts"), (taskExperts, "taskExperts")] where value < 0 || value > ModelConfigurationCheck.maximumCount {
                throw check.refusal(field, "\(value); expected a number of experts in 0...\(ModelConfigurationCheck.maximumCount)")
            }
            guard sharedExperts + taskExperts > 0 else {
                throw check.refusal("sharedExperts", "0 with taskExperts 0: a level needs at least one expert")
            }
            try check.widths(levelWidths, "levelWidths", nonEmpty: true)
        }
    }

    public let network: MultiTaskNetwork

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try configuration.validate()
        network = try MultiTaskNetwork(
            dataset: dataset, configuration: configuration,
            backbone: .progressiveLayeredExtraction(
                widths: configuration.levelWidths, sharedExperts: configuration.sharedExperts, taskExperts: configuration.taskExperts),
            seed: seed)
        super.init()
    }
}
