import FunnelData
import FunnelNN
import FunnelTensor

/// ESMM, the entire space multi-task model (Ma et al., SIGIR 2018, arXiv 1804.07931,
/// DOI 10.1145/3209978.3210007; entire-space.md §4): CTR and CTCVR = CTR × CVR are supervised
/// on every exposure, CVR never directly, over one shared embedding table (ESMM-NS:
/// `network.sharedEmbedding = false`).
///
/// Loss (Eq. 3, batch means): `mean_B e(o, ô) + mean_B e(o·r, ô·r̂)`, the product in log space.
/// Defaults as the paper's Ali-CCP setting: embedding 18, towers 200 → 80 → 1, Adam.
public final class ESMM: Module, EntireSpaceModel, RegisteredModel {
    public static let summary = "ESMM: CTR and CTCVR = CTR×CVR supervised over every exposure (SIGIR 2018; click, conversion)"

    public struct Configuration: ModelConfiguration, Equatable {
        public var network = EntireSpaceNetwork.Configuration()
        public init() {}

        public func validate() throws {
            try network.validate(ModelConfigurationCheck().nested("network"))
        }
    }

    public let network: EntireSpaceNetwork

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        network = try EntireSpaceNetwork(dataset: dataset, configuration: configuration.network, heads: ["ctr", "cvr"], seed: seed)
        super.init()
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let (click, conversion) = try funnelLabels(batch)
        let terms = Self.losses(ctr: outputs["ctr"]!, cvr: outputs["cvr"]!, click: click, conversion: conversion)
        return Objective(tasks: [.init(name: "ctr", loss: terms.ctr), .init(name: "ctcvr", loss: terms.ctcvr)])
    }

    /// `L_CTR` and `L_CTCVR`, from logits `[n]` and labels `[n]`.
    public static func losses(ctr: Tensor, cvr: Tensor, click: Tensor, conversion: Tensor) -> (ctr: Tensor, ctcvr: Tensor) {
        (EntireSpaceTerms.clickLoss(ctr, click: click), EntireSpaceTerms.clickConversionLoss(ctr, cvr, conversion: conversion))
    }
}
