import FunnelData
import FunnelNN
import FunnelTensor

/// ESCM², entire space counterfactual multi-task modelling (Wang et al., SIGIR 2022,
/// arXiv 2204.05125; public code PaddlePaddle/PaddleRec `models/multitask/escm2/`;
/// entire-space.md §5): ESMM plus a counterfactual risk on the CVR tower with the CTR tower as
/// the (stop-gradient) propensity — IPW, or doubly robust with an imputation tower.
///
/// Loss: `L_CTR + λ_c·L_CVR + λ_g·L_CTCVR`, with `δ = e(r, r̂)`:
/// - IPW, code form (default; `static_model.py::counterfact_ipw`):
///   `Σ_O δ·min(1/max(ô·N_c, 1e-6), 15)` with `N_c` the batch's clicks;
///   paper form: `(1/|B|) Σ_O δ/ô`.
/// - DR (`counterfact_dr`): `e = δ − ê`, `w = min(o/max(ô, 1e-6), 15)` (no cap in the paper
///   form), `L_CVR = mean_B(ê + w·e) + mean_B(w·e²)`, both parts trained jointly.
public final class ESCM2: Module, EntireSpaceModel, RegisteredModel {
    public static let summary = "ESCM²-IPW: ESMM + inverse-propensity CVR risk, MMoE backbone (SIGIR 2022; click, conversion)"
    /// The registry's `escm2-dr` line.
    public static let doublyRobustSummary = "ESCM²-DR: ESMM + doubly-robust CVR risk with an imputation tower (SIGIR 2022; click, conversion)"

    /// The counterfactual risk estimator.
    public enum Estimator: String, Sendable {
        case inversePropensity = "ipw"
        case doublyRobust = "dr"
    }

    /// The normalisation of the counterfactual term (§5; λ values do not carry across forms).
    public enum Form: String, Codable, Sendable, CaseIterable, StrictEnum {
        case code
        case paper
    }

    /// How the imputation tower's logit becomes the imputed error `ê` (`sigmoid` keeps it in
    /// (0, 1) while `δ` can exceed 1; §5 pitfall 4).
    public enum ImputationHead: String, Codable, Sendable, CaseIterable, StrictEnum {
        case sigmoid
        case softplus
    }

    public struct Configuration: ModelConfiguration, Equatable {
        /// ESCM²'s public code: embedding 12, 8 experts of 16, towers 16 → 8 → 1.
        public var network = EntireSpaceNetwork.Configuration(embeddingDimensions: 12, backbone: .mixtureOfExperts, towerHidden: [8])
        /// λ_c (`counterfactual_w`) and λ_g (`global_w`) of `config_bigdata.yaml`.
        public var counterfactualWeight: Float = 0.5
        public var globalWeight: Float = 0.5
        public var form = Form.code
        /// The per-sample weight cap of the code form.
        public var weightCap: Float = 15
        public var propensityFloor: Float = 1e-6
        /// ε inside Paddle's `log_loss` (0: exact BCE from logits).
        public var logLossEpsilon: Float = 0
        public var imputationHead = ImputationHead.sigmoid

        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try network.validate(check.nested("network"))
            try check.nonNegative(counterfactualWeight, "counterfactualWeight")
            try check.nonNegative(globalWeight, "globalWeight")
            try check.positive(weightCap, "weightCap")
            try check.floor(propensityFloor, "propensityFloor")
            guard logLossEpsilon >= 0, logLossEpsilon < 0.5 else {
                throw check.refusal("logLossEpsilon", "\(logLossEpsilon); expected a number in [0, 0.5)")
            }
        }
    }

    public let network: EntireSpaceNetwork
    public let estimator: Estimator
    public let configuration: Configuration

    public init(dataset: Dataset, configuration: Configuration, estimator: Estimator, seed: UInt64) throws {
        let heads = estimator == .doublyRobust ? ["ctr", "cvr", "imputation"] : ["ctr", "cvr"]
        network = try EntireSpaceNetwork(dataset: dataset, configuration: configuration.network, heads: heads, seed: seed)
        self.estimator = estimator
        self.configuration = configuration
        super.init()
    }

    /// ESCM²-IPW (the registry's `escm2-ipw`).
    public convenience init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try self.init(dataset: dataset, configuration: configuration, estimator: .inversePropensity, seed: seed)
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let (click, conversion) = try funnelLabels(batch)
        let ctr = outputs["ctr"]!
        let cvr = outputs["cvr"]!
        let counterfactual = estimator == .doublyRobust
            ? doublyRobustRisk(ctr: ctr, cvr: cvr, imputation: outputs["imputation"]!, click: click, conversion: conversion).total
            : inversePropensityRisk(ctr: ctr, cvr: cvr, click: click, conversion: conversion)
        let ctrLoss = EntireSpaceTerms.clickLoss(ctr, click: click)
        let ctcvrLoss = EntireSpaceTerms.clickConversionLoss(ctr, cvr, conversion: conversion)
        return Objective(tasks: [
            .init(name: "ctr", loss: ctrLoss),
            .init(name: "cvr", loss: counterfactual, weight: configuration.counterfactualWeight),
            .init(name: "ctcvr", loss: ctcvrLoss, weight: configuration.globalWeight),
        ])
    }

    /// `L_CVR` of ESCM²-IPW, from logits `[n]` and labels `[n]`.
    public func inversePropensityRisk(ctr: Tensor, cvr: Tensor, click: Tensor, conversion: Tensor) -> Tensor {
        let errors = EntireSpaceTerms.rowLosses(cvr, labels: conversion, epsilon: configuration.logLossEpsilon)
        switch configuration.form {
        case .paper:
            return CounterfactualRisk.inversePropensity(
                losses: errors, observed: click, propensities: ctr.detached().sigmoid(), floor: configuration.propensityFloor)
        case .code:
            let clicks = click.sum().scalar
            let weights = withoutGradients {
                click / (ctr.detached().sigmoid() * clicks).clamped(min: configuration.propensityFloor)
            }.clamped(max: configuration.weightCap)
            return (weights * errors).sum()
        }
    }

    /// `L_DR`, `L_IMP` and their sum for ESCM²-DR, from logits `[n]` and labels `[n]`.
    public func doublyRobustRisk(
        ctr: Tensor, cvr: Tensor, imputation: Tensor, click: Tensor, conversion: Tensor
    ) -> (error: Tensor, imputation: Tensor, total: Tensor) {
        let errors = EntireSpaceTerms.rowLosses(cvr, labels: conversion, epsilon: configuration.logLossEpsilon)
        let imputed = configuration.imputationHead == .sigmoid ? imputation.sigmoid() : imputation.softplus()
        let (risk, imputationLoss) = CounterfactualRisk.doublyRobust(
            errors: errors, imputedErrors: imputed, observed: click, propensities: ctr.detached().sigmoid(),
            floor: configuration.propensityFloor, cap: configuration.form == .code ? configuration.weightCap : nil)
        return (risk, imputationLoss, risk + imputationLoss)
    }
}
