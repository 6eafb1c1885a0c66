import FunnelData
import FunnelNN
import FunnelTensor

/// The biased baseline of the entire-space CVR family: a CVR model trained on clicked rows
/// only (ESMM's "BASE", Ma et al., SIGIR 2018, arXiv 1804.07931, §2.2; entire-space.md §1),
/// beside a CTR model trained on every exposure so that pCTCVR = ô·r̂ can be scored — by
/// default with its own embedding table, i.e. the independently trained CTR model of ESMM's
/// CTCVR protocol.
///
/// Loss: `mean_B e(o, ô) + (1/|O|) Σ_O e(r, r̂)` — the CVR term is the mean over the batch's
/// clicks (0 when there are none). Training on clicks and serving on every exposure is the
/// sample-selection bias the rest of the family corrects.
public final class NaiveCVR: Module, EntireSpaceModel, RegisteredModel {
    public static let summary = "CVR trained on clicked rows only, beside an independent CTR model: the biased baseline (click, conversion)"

    public struct Configuration: ModelConfiguration, Equatable {
        public var network: EntireSpaceNetwork.Configuration = {
            var network = EntireSpaceNetwork.Configuration()
            network.sharedEmbedding = false
            return network
        }()

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
        return Objective(tasks: [
            .init(name: "ctr", loss: terms.ctr), .init(name: "cvr", loss: terms.cvr, rows: Int(click.sum().scalar)),
        ])
    }

    /// The two terms, from logits `[n]` and labels `[n]`.
    public static func losses(ctr: Tensor, cvr: Tensor, click: Tensor, conversion: Tensor) -> (ctr: Tensor, cvr: Tensor) {
        let clicks = Swift.max(click.sum().scalar, 1)
        let cvrLoss = (click * EntireSpaceTerms.rowLosses(cvr, labels: conversion)).sum() / clicks
        return (EntireSpaceTerms.clickLoss(ctr, click: click), cvrLoss)
    }
}
