import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelTensor

/// A regression task: the first output's values against a dense label — MAE, RMSE, XAUC
/// (watchtime.md §0.4), XGAUC per group, and with a relevance threshold the AUC and GAUC of the
/// value against `label > threshold`.
struct RegressionTaskScorer: TaskScorer {
    let task: EvaluationTask
    let regression: RegressionProtocol
    let group: String?
    private var predictions: [Double] = []
    private var labels: [Double] = []
    private var groups: [Int64] = []

    init(task: EvaluationTask, protocol regression: RegressionProtocol, grouped group: String?) {
        self.task = task
        self.regression = regression
        self.group = group
    }

    var rows: (scores: [Double], labels: [Double], groups: [Int64]) { (predictions, labels, groups) }

    mutating func add(_ outputs: [String: Tensor], batch: Batch, groups keys: [Int64]?) throws {
        let values = try Evaluator.output(task.outputs[0], of: outputs, task: task)
        guard values.shape == [batch.size] else {
            throw DataError.missingRequirement(
                dataset: "model outputs", column: task.outputs[0],
                reason: "a regression task scores a [batch] output, got shape \(values.shape)")
        }
        let labels = try batch.tensor(task.label).scalars
        let keep = try Evaluator.keptRows(task, batch: batch)
        let predicted = values.scalars
        for row in 0..<batch.size where keep?[row] ?? true {
            predictions.append(Double(predicted[row]))
            self.labels.append(Double(labels[row]))
            if let keys { groups.append(keys[row]) }
        }
    }

    func finish() throws -> (values: [(name: String, value: Double)], compared: [String], line: String) {
        let count = Double(Swift.max(predictions.count, 1))
        let errors = zip(predictions, labels).map { $0 - $1 }
        var values: [(name: String, value: Double)] = [
            ("rows", Double(predictions.count)),
            ("mae", errors.reduce(0) { $0 + Swift.abs($1) } / count),
            ("mse", errors.reduce(0) { $0 + $1 * $1 } / count),
            ("rmse", (errors.reduce(0) { $0 + $1 * $1 } / count).squareRoot()),
            ("xauc", (try? Metrics.xauc(predictions: predictions, targets: labels)) ?? .nan),
        ]
        let scope = task.rowsWhere.map { "rows with \($0) = 1 (\(predictions.count))" } ?? "every row"
        var line = "value \(task.scoreDescription) against '\(task.label)' on \(scope): MAE, RMSE, XAUC (pairs tied in label or value count as discordant), MSE = RMSE²"
        if let group {
            let grouped = try? GroupedXAUC(predictions: predictions, targets: labels, groups: groups)
            values.append(("xgauc", grouped?.value ?? .nan))
            if let grouped {
                line += "; XGAUC by '\(group)' (\(grouped.groupsDropped) of \(grouped.groupsUsed + grouped.groupsDropped) groups dropped)"
            }
        }
        if let threshold = regression.relevanceThreshold {
            let relevant = labels.map { $0 > Double(threshold) ? 1.0 : 0.0 }
            values.append(("relevance_auc", (try? Metrics.auc(scores: predictions, labels: relevant)) ?? .nan))
            if group != nil {
                let gauc = try? GroupedAUC(scores: predictions, labels: relevant, groups: groups, weighting: .uniform)
                values.append(("relevance_gauc", gauc?.value ?? .nan))
            }
            line += "; relevance: '\(task.label)' > \(threshold) scored by the value (AUC, GAUC)"
        }
        return (values, values.map(\.name).filter { $0 != "rows" }, line)
    }
}
