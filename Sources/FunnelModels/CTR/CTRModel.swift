import FunnelData
import FunnelNN
import FunnelTensor

/// A plain CTR model: one backbone of watchtime.md §0.3 (FM, DeepFM or AutoInt+) trained on a
/// binary label with binary cross-entropy from logits. The registry's `fm`, `deepfm` and
/// `autoint` lines.
///
/// Shapes: a batch of `n` rows → logits `[n]` under the label's name.
public final class CTRModel: Module, FeatureModel, RegisteredModel {
    public static let summary = CTRBackboneKind.fm.summary

    public struct Configuration: ModelConfiguration, Equatable {
        /// The feature columns and the label.
        public var features = FeatureSelection()
        /// The backbone's sizes.
        public var network = CTRNetworkConfiguration()
        public init() {}

        public func validate() throws {
            try network.validate(ModelConfigurationCheck().nested("network"))
        }
    }

    public let kind: CTRBackboneKind
    public let backbone: any CTRBackbone
    public let categorical: [String]
    public let dense: [String]
    public let label: String

    /// An FM (the registry's `fm` line).
    public convenience init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try self.init(dataset: dataset, configuration: configuration, kind: .fm, seed: seed)
    }

    /// A backbone of `kind`, every initial value drawn from `seed`.
    public init(dataset: Dataset, configuration: Configuration, kind: CTRBackboneKind, seed: UInt64) throws {
        try configuration.validate()
        var generator = RandomGenerator(seed: seed)
        backbone = try kind.make(
            dataset: dataset, features: configuration.features, network: configuration.network, generator: &generator)
        let (categorical, _, dense) = try configuration.features.resolve(in: dataset)
        self.kind = kind
        self.categorical = categorical
        self.dense = dense
        label = configuration.features.label
        super.init()
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        [label: try backbone.logits(batch)]
    }
}
