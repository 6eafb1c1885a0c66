import FunnelData
import FunnelNN
import FunnelTensor

/// What the entire-space CVR models share (entire-space.md §0–§1): the click `o` and the
/// conversion `o·r` labels, a CTR head `ctr` (ô = σ) and a CVR head `cvr` (r̂ = σ) on an
/// ``EntireSpaceNetwork``, and the four evaluation protocols of §1.
public protocol EntireSpaceModel: FunnelModel {
    var network: EntireSpaceNetwork { get }
}

extension EntireSpaceModel {
    public var requirements: DataRequirements {
        DataRequirements(
            columns: network.columns, sequences: network.sequences,
            rowSampler: network.configuration.trainOnlyWhere.map { RowSampler(anyOf: [$0]) })
    }

    /// entire-space.md §1, in this order: CTCVR-AUC (`ô·r̂` against click ∧ conversion over
    /// every exposure, judged by the true pCTCVR), CVR-AUC@O (`r̂` against conversion on clicked
    /// rows: ESMM's protocol), CVR-AUC@D (`r̂` over every exposure: ESCM²'s and NISE's code,
    /// judged by the true pCVR of every exposure, clicked or not — the entire-space truth),
    /// CTR-AUC.
    public var evaluationTasks: [EvaluationTask] {
        let click = network.click
        let conversion = network.conversion
        if network.configuration.evaluation == .clickThroughConversion {
            return [EvaluationTask(name: "", outputs: ["ctr", "cvr"], label: conversion, scoreDescription: "σ(ctr)·σ(cvr) (adapter of entire-space.md §12)")]
        }
        return [
            EvaluationTask(name: "ctcvr", outputs: ["ctr", "cvr"], label: conversion),
            EvaluationTask(name: "cvr_clicked", outputs: ["cvr"], label: conversion, rowsWhere: click, truth: nil),
            EvaluationTask(name: "cvr_entire", outputs: ["cvr"], label: conversion, truth: .init(given: click)),
            EvaluationTask(name: "ctr", outputs: ["ctr"], label: click),
        ]
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        try network(batch)
    }

    public func prepareForInference() {
        network.foldForInference()
    }

    /// The click `o` and conversion `o·r` labels of a batch, `[n]` each.
    func funnelLabels(_ batch: Batch) throws -> (click: Tensor, conversion: Tensor) {
        (try batch.tensor(network.click), try batch.tensor(network.conversion))
    }
}

/// Loss terms shared by the family, from logits (entire-space.md §0 conventions 1–4).
enum EntireSpaceTerms {
    /// `mean_B e(o, ô)`.
    static func clickLoss(_ ctr: Tensor, click: Tensor) -> Tensor {
        Losses.binaryCrossEntropy(logits: ctr, labels: click)
    }

    /// `mean_B e(o·r, ô·r̂)`, the product in log space.
    static func clickConversionLoss(_ ctr: Tensor, _ cvr: Tensor, conversion: Tensor) -> Tensor {
        Losses.productBinaryCrossEntropy(firstLogits: ctr, secondLogits: cvr, labels: conversion)
    }

    /// Per-row `δ = e(r, r̂)` `[n]`; with `epsilon > 0`, Paddle's `log_loss` form
    /// `−r·log(r̂ + ε) − (1 − r)·log(1 − r̂ + ε)` (bounded by `−log ε`; ESCM², §5).
    static func rowLosses(_ logits: Tensor, labels: Tensor, epsilon: Float = 0) -> Tensor {
        guard epsilon > 0 else { return Losses.binaryCrossEntropy(logits: logits, labels: labels, reduction: .none) }
        return -(labels * (logits.sigmoid() + epsilon).log()) - (1 - labels) * ((-logits).sigmoid() + epsilon).log()
    }
}
