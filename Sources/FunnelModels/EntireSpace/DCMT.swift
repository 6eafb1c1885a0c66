import FunnelData
import FunnelNN
import FunnelTensor

/// DCMT, direct entire-space causal multi-task CVR (Zhu et al., ICDE 2023, arXiv 2302.06141;
/// entire-space.md §6): a factual CVR tower trained on clicked rows and a counterfactual tower
/// trained on non-clicked rows against the opposite label `r* = 1 − r`, each inverse-propensity
/// weighted, tied by the soft constraint `r̂ + r̂* = 1`.
///
/// Loss (as in the NISE reproduction, `mtl_trainer.py`): `L_CTR + L_DCMT + L_CTCVR` with
/// `L_DCMT = (1/|B|)[Σ_O e(r, r̂)/ô + Σ_N e(r*, r̂*)/(1 − ô)] + (λ/|B|) Σ_B |1 − (r̂ + r̂*)|`,
/// weights stop-gradient with the propensities floored. Serving uses the factual `r̂`.
public final class DCMT: Module, EntireSpaceModel, RegisteredModel {
    public static let summary = "DCMT: factual and counterfactual CVR towers tied by r̂ + r̂* = 1 (ICDE 2023; click, conversion)"

    public struct Configuration: ModelConfiguration, Equatable {
        public var network = EntireSpaceNetwork.Configuration()
        /// λ of the L1 constraint (1e-3 in the NISE and EVI re-implementations).
        public var constraintWeight: Float = 1e-3
        public var propensityFloor: Float = 1e-6
        /// A cap on both inverse-propensity weights (`nil`: none, as the reproductions).
        public var maxWeight: Float?
        /// Whether `L_CTCVR` is part of the objective (the NISE reproduction includes it).
        public var includeClickConversionLoss = true

        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try network.validate(check.nested("network"))
            try check.nonNegative(constraintWeight, "constraintWeight")
            try check.floor(propensityFloor, "propensityFloor")
            if let maxWeight { try check.positive(maxWeight, "maxWeight") }
        }
    }

    public let network: EntireSpaceNetwork
    public let configuration: Configuration

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        network = try EntireSpaceNetwork(
            dataset: dataset, configuration: configuration.network, heads: ["ctr", "cvr", "counterfactual_cvr"], seed: seed)
        self.configuration = configuration
        super.init()
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let (click, conversion) = try funnelLabels(batch)
        let ctr = outputs["ctr"]!
        let cvr = outputs["cvr"]!
        let ctrLoss = EntireSpaceTerms.clickLoss(ctr, click: click)
        let causal = counterfactualLoss(
            ctr: ctr, cvr: cvr, counterfactual: outputs["counterfactual_cvr"]!, click: click, conversion: conversion)
        var tasks: [Objective.Task] = [.init(name: "ctr", loss: ctrLoss), .init(name: "cvr", loss: causal.total)]
        if configuration.includeClickConversionLoss {
            tasks.append(.init(name: "ctcvr", loss: EntireSpaceTerms.clickConversionLoss(ctr, cvr, conversion: conversion)))
        }
        return Objective(tasks: tasks, logs: [
            "factual_loss": causal.factual, "counterfactual_loss": causal.counterfactual, "constraint": causal.constraint,
        ])
    }

    /// The factual and counterfactual terms, the constraint's mean `|1 − (r̂ + r̂*)|`, and
    /// `L_DCMT`, from logits `[n]` and labels `[n]`.
    public func counterfactualLoss(
        ctr: Tensor, cvr: Tensor, counterfactual: Tensor, click: Tensor, conversion: Tensor
    ) -> (factual: Tensor, counterfactual: Tensor, constraint: Tensor, total: Tensor) {
        let floor = configuration.propensityFloor
        let clickedWeights = CounterfactualRisk.observedWeights(
            propensityLogits: ctr, observed: click, floor: floor, cap: configuration.maxWeight)
        let unclickedWeights = CounterfactualRisk.unobservedWeights(
            propensityLogits: ctr, observed: click, floor: floor, cap: configuration.maxWeight)
        let factual = Losses.binaryCrossEntropy(logits: cvr, labels: conversion, weights: clickedWeights)
        let counterfactualTerm = Losses.binaryCrossEntropy(logits: counterfactual, labels: 1 - conversion, weights: unclickedWeights)
        let constraint = (1 - (cvr.sigmoid() + counterfactual.sigmoid())).abs().mean()
        return (factual, counterfactualTerm, constraint, factual + counterfactualTerm + configuration.constraintWeight * constraint)
    }
}
