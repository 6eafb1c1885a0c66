import FunnelData
import FunnelNN
import FunnelTensor

/// ChorusCVR (Cheng et al., Kuaishou; arXiv 2502.08277 v2, WSDM 2026,
/// DOI 10.1145/3773966.3779371; entire-space.md §8; seed `000_…txt`): tells ambiguous negatives
/// (not clicked: conversion unknown) from factual negatives (clicked, not converted). The
/// negative-discrimination module (NDM) adds an un-conversion tower `û` supervised by
/// CTunCVR = `o·(1 − r)`; the soft-alignment module (SAM) makes `1 − û` a soft CVR label over the
/// whole space and `1 − r̂` a soft un-CVR label.
///
/// Loss (shared-bottom network, heads `ctr`, `cvr`, `uncvr`):
/// `L_CTR + L_CTCVR + L_CTunCVR + L_CVR^IPW + L_unCVR^IPW + λ·L_align` with
/// `L_align = (1/|B|) Σ_B w·[e(sg(1 − û), r̂) + e(sg(1 − r̂), û)]`,
/// `w = o/ô + (1 − o)/(1 − ô)` (stop-gradient, floored). The SAM weighting, its normalisation,
/// λ = 1 and the CTR term are reconstructions [A] (§13 item 9): each is an option.
public final class ChorusCVR: Module, EntireSpaceModel, RegisteredModel {
    public static let summary = "ChorusCVR: un-conversion tower and soft alignment of CVR and unCVR (WSDM 2026; click, conversion)"

    /// The per-row weight of the alignment terms.
    public enum AlignWeighting: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// `o/ô + (1 − o)/(1 − ô)`.
        case inversePropensity
        /// `o·ô + (1 − o)·(1 − ô)`.
        case propensity
    }

    /// How the alignment sum is normalised.
    public enum AlignNormalisation: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// Divided by `|B|`.
        case batch
        /// Clicked and non-clicked rows each averaged over their own count, then added.
        case perSpace
    }

    public struct Configuration: ModelConfiguration, Equatable {
        public var network: EntireSpaceNetwork.Configuration = {
            var network = EntireSpaceNetwork.Configuration(backbone: .sharedBottom, towerHidden: [80])
            network.sharedHidden = [200]
            return network
        }()
        /// λ_align.
        public var alignWeight: Float = 1
        public var alignWeighting = AlignWeighting.inversePropensity
        public var alignNormalisation = AlignNormalisation.batch
        /// Whether `L_CTR` is part of the objective (kept as in ESMM).
        public var includeClickLoss = true
        public var propensityFloor: Float = 1e-6

        public init() {}

        public func validate() throws {
            let check = ModelConfigurationCheck()
            try network.validate(check.nested("network"))
            try check.nonNegative(alignWeight, "alignWeight")
            try check.floor(propensityFloor, "propensityFloor")
        }
    }

    public let network: EntireSpaceNetwork
    public let configuration: Configuration

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        network = try EntireSpaceNetwork(dataset: dataset, configuration: configuration.network, heads: ["ctr", "cvr", "uncvr"], seed: seed)
        self.configuration = configuration
        super.init()
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let (click, conversion) = try funnelLabels(batch)
        let terms = losses(ctr: outputs["ctr"]!, cvr: outputs["cvr"]!, uncvr: outputs["uncvr"]!, click: click, conversion: conversion)
        // A fixed order: the total's float sum must not depend on a dictionary's order.
        let order = ["ctr_loss", "ctcvr_loss", "ctuncvr_loss", "cvr_loss", "uncvr_loss", "align_loss"]
        return Objective(tasks: order.compactMap { name in
            terms[name].map { Objective.Task(name: String(name.dropLast("_loss".count)), loss: $0) }
        })
    }

    /// Every weighted term of the objective by name (`align_loss` already multiplied by λ),
    /// from logits `[n]` and labels `[n]`.
    public func losses(ctr: Tensor, cvr: Tensor, uncvr: Tensor, click: Tensor, conversion: Tensor) -> [String: Tensor] {
        let floor = configuration.propensityFloor
        let unconverted = click * (1 - conversion)
        let clickedWeights = CounterfactualRisk.observedWeights(propensityLogits: ctr, observed: click, floor: floor)
        var terms = [
            "ctcvr_loss": EntireSpaceTerms.clickConversionLoss(ctr, cvr, conversion: conversion),
            "ctuncvr_loss": EntireSpaceTerms.clickConversionLoss(ctr, uncvr, conversion: unconverted),
            "cvr_loss": Losses.binaryCrossEntropy(logits: cvr, labels: conversion, weights: clickedWeights),
            "uncvr_loss": Losses.binaryCrossEntropy(logits: uncvr, labels: unconverted, weights: clickedWeights),
            "align_loss": configuration.alignWeight * alignment(ctr: ctr, cvr: cvr, uncvr: uncvr, click: click),
        ]
        if configuration.includeClickLoss { terms["ctr_loss"] = EntireSpaceTerms.clickLoss(ctr, click: click) }
        return terms
    }

    /// `L_align` before λ: each tower learns the other's stop-gradient complement.
    public func alignment(ctr: Tensor, cvr: Tensor, uncvr: Tensor, click: Tensor) -> Tensor {
        let weights: Tensor
        switch configuration.alignWeighting {
        case .inversePropensity:
            let floor = configuration.propensityFloor
            weights = CounterfactualRisk.observedWeights(propensityLogits: ctr, observed: click, floor: floor)
                + CounterfactualRisk.unobservedWeights(propensityLogits: ctr, observed: click, floor: floor)
        case .propensity:
            weights = withoutGradients {
                let propensity = ctr.detached().sigmoid()
                return click * propensity + (1 - click) * (1 - propensity)
            }
        }
        let softConversion = withoutGradients { (-uncvr.detached()).sigmoid() }
        let softUnconversion = withoutGradients { (-cvr.detached()).sigmoid() }
        let rows = weights
            * (Losses.binaryCrossEntropy(logits: cvr, labels: softConversion, reduction: .none)
                + Losses.binaryCrossEntropy(logits: uncvr, labels: softUnconversion, reduction: .none))
        switch configuration.alignNormalisation {
        case .batch:
            return rows.mean()
        case .perSpace:
            let clicks = click.sum().scalar
            let others = Float(click.count) - clicks
            return (click * rows).sum() / Swift.max(clicks, 1) + ((1 - click) * rows).sum() / Swift.max(others, 1)
        }
    }
}
