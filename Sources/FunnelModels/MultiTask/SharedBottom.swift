import FunnelData
import FunnelNN
import FunnelTensor

/// Shared-Bottom multi-task model (Caruana 1997; the baseline of multitask.md §1): one MLP
/// shared by all tasks on the §0 input, then one tower per task.
public final class SharedBottomModel: Module, MultiTaskModel, RegisteredModel {
    public static let summary = "Shared-Bottom: one shared MLP, one tower per task (multi-task baseline; tasks' labels, default click, conversion)"
    public static var testFixture: ModelFixture {
        ModelFixture(configuration: #"{"embeddingDimensions": 4, "bottomHidden": [16, 8], "towerHidden": [8]}"#)
    }

    public struct Configuration: MultiTaskConfiguration, Equatable {
        public var tasks = Self.defaultTasks
        public var categorical: [String]?
        public var dense: [String]?
        public var embeddingDimensions = 128
        public var towerHidden = [128, 64]
        public var dropout: Float = 0.2
        public var batchNorm = true
        /// The shared MLP's hidden layers ((512, 256), MMoE's expert).
        public var bottomHidden = [512, 256]
        public init() {}

        public func validate() throws {
            try validateMultiTask()
            try ModelConfigurationCheck().widths(bottomHidden, "bottomHidden", nonEmpty: true)
        }
    }

    public let network: MultiTaskNetwork

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try configuration.validate()
        network = try MultiTaskNetwork(dataset: dataset, configuration: configuration, backbone: .sharedBottom(hidden: configuration.bottomHidden), seed: seed)
        super.init()
    }
}
