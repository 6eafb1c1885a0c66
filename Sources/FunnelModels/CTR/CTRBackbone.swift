import FunnelData
import FunnelNN
import FunnelTensor

/// A CTR network over a feature selection: a batch → one logit per row `[n]`.
///
/// The backbones of the watch-time papers (watchtime.md §0.3) — FM, DeepFM, AutoInt — are
/// reused by models that train them on other labels and losses (D2Co's corrected labels,
/// CWM's censored likelihood); ``CTRModel`` is the plain one, trained on a binary label.
public protocol CTRBackbone: Module {
    /// The columns the batcher must gather (categorical and dense features).
    var columns: Set<String> { get }
    /// One logit per row, `[n]`.
    func logits(_ batch: Batch) throws -> Tensor
}

/// The CTR backbones, as torchfm (github.com/rixwew/pytorch-fm) implements them for the D2Co
/// and CWM experiments (watchtime.md §0.3).
public enum CTRBackboneKind: String, Codable, CaseIterable, Sendable, StrictEnum {
    /// Factorization machine (Rendle, ICDM 2010): ``FactorizationMachineModel``.
    case fm
    /// FM + MLP over shared embeddings (Guo et al., IJCAI 2017): ``DeepFM``.
    case deepfm
    /// Self-attention over fields + MLP, "AutoInt+" (Song et al., CIKM 2019):
    /// ``AutomaticFeatureInteractionModel``.
    case autoint
}

extension CTRBackboneKind {
    /// Builds the backbone of this kind over `features` of `dataset`.
    ///
    /// - Parameters:
    ///   - features: the categorical and dense columns (its label is not read).
    ///   - network: the sizes, validated first (refusals name `modelConfiguration.network.…`).
    ///   - generator: every initial value and dropout seed is drawn from it.
    public func make(
        dataset: Dataset, features: FeatureSelection, network: CTRNetworkConfiguration,
        generator: inout RandomGenerator
    ) throws -> any CTRBackbone {
        switch self {
        case .fm:
            try FactorizationMachineModel(dataset: dataset, features: features, network: network, generator: &generator)
        case .deepfm:
            try DeepFM(dataset: dataset, features: features, network: network, generator: &generator)
        case .autoint:
            try AutomaticFeatureInteractionModel(dataset: dataset, features: features, network: network, generator: &generator)
        }
    }

    /// One line for `funnel models`: the network and its paper.
    public var summary: String {
        switch self {
        case .fm:
            "FM: factorization machine, bias + first-order weights + pairwise field interactions (Rendle, ICDM 2010; inputs: features, a label)"
        case .deepfm:
            "DeepFM: FM + MLP over shared field embeddings (Guo et al., IJCAI 2017; inputs: features, a label)"
        case .autoint:
            "AutoInt+: multi-head self-attention over field embeddings + MLP + first-order term (Song et al., CIKM 2019; inputs: features, a label)"
        }
    }
}
