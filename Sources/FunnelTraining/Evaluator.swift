import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelTensor

/// Scores a split with a model and computes every metric the protocol names.
public struct Evaluation: Sendable {
    /// Metric name → value: `auc`, `logloss`, `calibration_ratio`, `gauc_avg`, `gauc_show`,
    /// `gauc_click`, groups used and dropped, and `truth_auc`, `truth_logloss`,
    /// `truth_correlation` when a truth column is scored.
    public var metrics: [String: Double]
    /// The probabilities, labels and group keys of every scored row, in row order.
    public var scores: [Double]
    public var labels: [Double]
    public var groups: [Int64]?
    /// Lines naming the protocol (rows, label, GAUC grouping, truth).
    public var protocolDescription: [String]
}

public enum Evaluator {
    /// Scores every row of `split` (no sampling) with the model's primary output.
    public static func evaluate(
        model: some FunnelModel, dataset: Dataset, split: String, batchSize: Int = 4096, groupColumn: String? = nil,
        truthColumn: String? = nil
    ) throws -> Evaluation {
        let table = try dataset.split(split)
        let label = model.labels[model.primaryOutput] ?? model.primaryOutput
        let group = groupColumn ?? dataset.schema.columns.first { $0.role == .user }?.name
        // A simulated dataset names the truth of each label; its metrics join by default.
        let truthColumn = truthColumn ?? dataset.schema.columns.first { $0.role == .truth && $0.truthOf == label }?.name
        var columns = model.columns
        if let group { columns.insert(group) }
        if let truthColumn {
            guard dataset.schema.column(named: truthColumn)?.role == .truth else {
                throw DataError.missingRequirement(dataset: dataset.schema.name, column: truthColumn, reason: "a truth column to score against")
            }
            columns.insert(truthColumn)
        }
        let batcher = try Batcher(dataset: dataset, split: split, batchSize: batchSize, shuffle: false, columns: columns)
        var scores: [Double] = []
        var labels: [Double] = []
        var groups: [Int64] = []
        var truth: [Double] = []
        model.train(false)
        defer { model.train() }
        try withoutGradients {
            for slice in batcher.batches(epoch: 0) {
                let batch = batcher.batch(slice)
                let logits = try model(batch)[model.primaryOutput]!
                scores.append(contentsOf: logits.sigmoid().scalars.map(Double.init))
                labels.append(contentsOf: try batch.tensor(label).scalars.map(Double.init))
                if let group { groups.append(contentsOf: batch.keys[group] ?? batch.ids[group]?.map(Int64.init) ?? []) }
                if let truthColumn { truth.append(contentsOf: try batch.tensor(truthColumn).scalars.map(Double.init)) }
            }
        }
        let evaluation = try BinaryEvaluation(scores: scores, labels: labels, groups: group == nil ? nil : groups)
        var metrics = Dictionary(uniqueKeysWithValues: evaluation.values.map { ($0.name, $0.value) })
        var description = [
            "rows: every exposure of split '\(split)' (\(table.rowCount) rows, no sampling); label '\(label)'",
        ]
        if let group, let gauc = evaluation.groupedAUC[.uniform] {
            description.append(
                "GAUC grouped by '\(group)': avg (weight 1), show (exposures), click (clicks); \(gauc.groupsDropped) of \(gauc.groupsUsed + gauc.groupsDropped) groups dropped for one class (\(gauc.rowsDropped) rows)")
        }
        if let truthColumn {
            let truthEvaluation = try TruthEvaluation(scores: scores, trueProbabilities: truth, seed: 0)
            metrics["truth_auc"] = truthEvaluation.auc
            metrics["truth_logloss"] = truthEvaluation.logLoss ?? .nan
            metrics["truth_correlation"] = truthEvaluation.correlation
            description.append(
                "truth: labels drawn once (seed 0) from '\(truthColumn)' for every row; the truth itself reaches AUC \(String(format: "%.4f", truthEvaluation.truthAUC))")
        }
        return Evaluation(
            metrics: metrics, scores: scores, labels: labels, groups: group == nil ? nil : groups,
            protocolDescription: description)
    }
}
