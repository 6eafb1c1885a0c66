import FunnelData
import FunnelNN
import FunnelTensor

/// NISE: non-click samples as unlabelled data through semi-supervised learning (Huang et al.,
/// RecSys 2024, DOI 10.1145/3640457.3688151; code Hjh233/NISE, strategy `adaptive_ucvrlc`;
/// entire-space.md §7). No CTCVR task: a non-clicked row's pseudo-label is the CVR model's own
/// prediction, so its term is the entropy `H(r̂) = e(r̂, r̂)`, with the gradient flowing
/// through both arguments (`dH/dz = −z·σ(z)(1 − σ(z))`, pushing r̂ toward 0 or 1).
///
/// Loss (Eqs. 9–11): `L_CTR + w·L_CVR`, `L_CVR = (1/|B|)[Σ_O e(r, r̂) + Σ_N H(r̂)]`,
/// `w = α·min(L_CTR/L_CVR, β)` computed on plain numbers (`α·β` when `L_CVR ≤ 1e-12`).
public final class NISE: Module, EntireSpaceModel, RegisteredModel {
    public static let summary = "NISE: non-clicks as unlabelled rows, entropy pseudo-labels, adaptive CTR weight (RecSys 2024; click, conversion)"

    public struct Configuration: ModelConfiguration, Equatable {
        /// The paper's setting: embedding 16, towers [160, 80].
        public var network = EntireSpaceNetwork.Configuration(embeddingDimensions: 16, towerHidden: [160, 80])
        /// α (`--ablation_weight`) and β (`--weight`).
        public var alpha: Float = 1
        public var beta: Float = 50

        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try network.validate(check.nested("network"))
            try check.nonNegative(alpha, "alpha")
            try check.positive(beta, "beta")
        }
    }

    public let network: EntireSpaceNetwork
    public let configuration: Configuration

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        network = try EntireSpaceNetwork(dataset: dataset, configuration: configuration.network, heads: ["ctr", "cvr"], seed: seed)
        self.configuration = configuration
        super.init()
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let (click, conversion) = try funnelLabels(batch)
        let terms = losses(ctr: outputs["ctr"]!, cvr: outputs["cvr"]!, click: click, conversion: conversion)
        return Objective(
            tasks: [.init(name: "ctr", loss: terms.ctr), .init(name: "cvr", loss: terms.cvr, weight: terms.weight)],
            logs: ["cvr_weight": Tensor(terms.weight)])
    }

    /// `L_CTR`, `L_CVR`, the weight `w` and the total, from logits `[n]` and labels `[n]`.
    public func losses(ctr: Tensor, cvr: Tensor, click: Tensor, conversion: Tensor) -> (ctr: Tensor, cvr: Tensor, weight: Float, total: Tensor) {
        let ctrLoss = EntireSpaceTerms.clickLoss(ctr, click: click)
        let cvrLoss = Self.semiSupervisedLoss(cvr: cvr, click: click, conversion: conversion)
        let ratio = cvrLoss.scalar <= 1e-12 ? configuration.beta : Swift.min(ctrLoss.scalar / cvrLoss.scalar, configuration.beta)
        let weight = configuration.alpha * ratio
        return (ctrLoss, cvrLoss, weight, ctrLoss + weight * cvrLoss)
    }

    /// `(1/|B|)[Σ_O e(r, r̂) + Σ_N H(r̂)]` with the entropy `softplus(z) − z·σ(z)`, whose
    /// pseudo-label σ(z) keeps its gradient.
    public static func semiSupervisedLoss(cvr: Tensor, click: Tensor, conversion: Tensor) -> Tensor {
        let labels = click * conversion + (1 - click) * cvr.sigmoid()
        return Losses.binaryCrossEntropy(logits: cvr, labels: labels)
    }
}
