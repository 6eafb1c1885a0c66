import FunnelData
import FunnelNN
import FunnelTensor

/// MMoE, multi-gate mixture of experts (Ma et al., KDD 2018, DOI 10.1145/3219819.3220007;
/// multitask.md §1): `experts` MLPs on the §0 input, one softmax gate per task (reading the
/// input), one tower per task on its mixture.
public final class MMoEModel: Module, MultiTaskModel, RegisteredModel {
    public static let summary = "MMoE: multi-gate mixture of experts, one gate and tower per task (KDD 2018; tasks' labels, default click, conversion)"
    public static var testFixture: ModelFixture {
        ModelFixture(configuration: #"{"embeddingDimensions": 4, "experts": 3, "expertHidden": [16, 8], "towerHidden": [8]}"#)
    }

    public struct Configuration: MultiTaskConfiguration, Equatable {
        public var tasks = Self.defaultTasks
        public var categorical: [String]?
        public var dense: [String]?
        public var embeddingDimensions = 128
        public var towerHidden = [128, 64]
        public var dropout: Float = 0.2
        public var batchNorm = true
        /// `E` (8).
        public var experts = 8
        /// Each expert's hidden layers ((512, 256)).
        public var expertHidden = [512, 256]
        public init() {}

        public func validate() throws {
            try validateMultiTask()
            let check = ModelConfigurationCheck()
            try check.positive(experts, "experts", maximum: ModelConfigurationCheck.maximumCount, what: "a number of experts")
            try check.widths(expertHidden, "expertHidden", nonEmpty: true)
        }
    }

    public let network: MultiTaskNetwork

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try configuration.validate()
        network = try MultiTaskNetwork(
            dataset: dataset, configuration: configuration,
            backbone: .mixtureOfExperts(experts: configuration.experts, hidden: configuration.expertHidden), seed: seed)
        super.init()
    }
}
