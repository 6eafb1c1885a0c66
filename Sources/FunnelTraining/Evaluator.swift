import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelTensor

/// Scores a split with a model and computes every metric of every evaluation task.
public struct Evaluation: Sendable {
    /// Metric name → value, per task (prefixed by the task's name unless it is empty): `auc`,
    /// `logloss`, `calibration_ratio`, `gauc_avg`, `gauc_show`, `gauc_click`, groups used and
    /// dropped, and `truth_auc`, `truth_logloss`, `truth_correlation` when a truth is scored.
    public var metrics: [String: Double]
    /// The name of the primary task's AUC (`auc`, `ctcvr_auc`, …): early stopping's default.
    public var primaryMetric: String
    /// The compared metrics in presentation order: task by task, AUC, GAUC, logloss and truth
    /// first; counts (rows, positives, groups) left out.
    public var metricOrder: [String]
    /// The primary task's probabilities, labels and group keys of every scored row, in row order.
    public var scores: [Double]
    public var labels: [Double]
    public var groups: [Int64]?
    /// Lines naming the protocol of every task (rows, label, score, GAUC grouping, truth).
    public var protocolDescription: [String]
}

public enum Evaluator {
    /// Scores every row of `split` (no sampling) with each of the model's evaluation tasks.
    /// - Parameter truthColumn: the primary task's truth column (default: the one the dataset
    ///   marks as the truth of its label).
    public static func evaluate(
        model: some FunnelModel, dataset: Dataset, split: String, batchSize: Int = 4096, groupColumn: String? = nil,
        truthColumn: String? = nil
    ) throws -> Evaluation {
        let table = try dataset.split(split)
        let tasks = model.evaluationTasks
        let group = groupColumn ?? dataset.schema.columns.first { $0.role == .user }?.name
        let truths = try tasks.enumerated().map { index, task -> String? in
            if index == 0, let truthColumn {
                guard dataset.schema.column(named: truthColumn)?.role == .truth else {
                    throw DataError.missingRequirement(dataset: dataset.schema.name, column: truthColumn, reason: "a truth column to score against")
                }
                return truthColumn
            }
            // A simulated dataset names the truth of each label; its metrics join by default.
            guard let reference = task.truth else { return nil }
            return dataset.schema.columns.first {
                $0.role == .truth && $0.truthOf == task.label && $0.truthGiven == reference.given
            }?.name
        }
        var columns = model.columns.union(tasks.flatMap { [$0.label] + ($0.rowsWhere.map { [$0] } ?? []) })
        columns.formUnion(truths.compactMap { $0 })
        if let group { columns.insert(group) }
        let batcher = try Batcher(
            dataset: dataset, split: split, batchSize: batchSize, shuffle: false, columns: columns, sequences: model.sequencePolicies)
        var gathered = tasks.map { _ in TaskRows() }
        model.train(false)
        defer { model.train() }
        try withoutGradients {
            for slice in batcher.batches(epoch: 0) {
                let batch = batcher.batch(slice)
                let outputs = try model(batch)
                let groupKeys = group.map { batch.keys[$0] ?? batch.ids[$0]?.map(Int64.init) ?? [] }
                for (index, task) in tasks.enumerated() {
                    try gathered[index].append(task, outputs: outputs, batch: batch, groups: groupKeys, truth: truths[index])
                }
            }
        }
        var metrics: [String: Double] = [:]
        var order: [String] = []
        var description = ["rows: split '\(split)' (\(table.rowCount) rows, no sampling)"]
        for (index, task) in tasks.enumerated() {
            let rows = gathered[index]
            let prefix = task.name.isEmpty ? "" : "\(task.name): "
            let scope = task.rowsWhere.map { "rows with \($0) = 1 (\(rows.scores.count))" } ?? "every row"
            var line = "\(prefix)score \(task.scoreDescription) against '\(task.label)' on \(scope)"
            let values: [(name: String, value: Double)]
            do {
                let evaluation = try BinaryEvaluation(scores: rows.scores, labels: rows.labels, groups: group == nil ? nil : rows.groups)
                values = evaluation.values
                if let group, let gauc = evaluation.groupedAUC[.uniform] {
                    line += "; GAUC by '\(group)' (avg: weight 1, show: exposures, click: positives), \(gauc.groupsDropped) of \(gauc.groupsUsed + gauc.groupsDropped) groups dropped for one class"
                }
            } catch {
                // An undefined metric (one class, no group with both) is NaN in the table, named here.
                values = Self.definedValues(rows, grouped: group != nil)
                line += "; undefined: \(error)"
            }
            for (name, value) in values { metrics[task.metricName(name)] = value }
            let names = values.map(\.name) + (truths[index] == nil ? [] : ["truth_auc", "truth_logloss", "truth_correlation"])
            order += (Self.preferred.filter(names.contains) + names.filter { !Self.preferred.contains($0) && !Self.counts.contains($0) })
                .map(task.metricName)
            if let truth = truths[index] {
                let truthEvaluation = try TruthEvaluation(scores: rows.scores, trueProbabilities: rows.truth, seed: 0)
                metrics[task.metricName("truth_auc")] = truthEvaluation.auc
                metrics[task.metricName("truth_logloss")] = truthEvaluation.logLoss ?? .nan
                metrics[task.metricName("truth_correlation")] = truthEvaluation.correlation
                line += "; truth: labels drawn once (seed 0) from '\(truth)' on those rows (the truth itself reaches AUC \(String(format: "%.4f", truthEvaluation.truthAUC)))"
            }
            description.append(line)
        }
        let primary = gathered[0]
        return Evaluation(
            metrics: metrics, primaryMetric: tasks[0].metricName("auc"), metricOrder: order, scores: primary.scores, labels: primary.labels,
            groups: group == nil ? nil : primary.groups, protocolDescription: description)
    }
}

extension Evaluator {
    /// The metrics of rows whose labels leave AUC or every GAUC undefined: counts, logloss and
    /// the defined values, NaN for the rest.
    static func definedValues(_ rows: TaskRows, grouped: Bool) -> [(name: String, value: Double)] {
        var values: [(name: String, value: Double)]
        if let ungrouped = try? BinaryEvaluation(scores: rows.scores, labels: rows.labels, groups: nil as [Int64]?) {
            values = ungrouped.values
        } else {
            let positives = Double(rows.labels.filter { $0 > 0 }.count)
            values = [("rows", Double(rows.scores.count)), ("positives", positives), ("auc", .nan)]
            values.append(("logloss", (try? Metrics.logLoss(probabilities: rows.scores, labels: rows.labels)) ?? .nan))
        }
        if grouped { values += ["gauc_avg", "gauc_show", "gauc_click"].map { ($0, Double.nan) } }
        return values
    }

    static let preferred = ["auc", "gauc_avg", "gauc_show", "gauc_click", "logloss", "truth_auc", "truth_logloss", "truth_correlation"]
    // Counts belong to the protocol lines, not to the compared metrics.
    static let counts: Set<String> = ["rows", "positives", "groups_used", "groups_dropped", "rows_in_dropped_groups"]
}

/// The rows one task scores, gathered batch by batch.
struct TaskRows {
    var scores: [Double] = []
    var labels: [Double] = []
    var groups: [Int64] = []
    var truth: [Double] = []

    mutating func append(_ task: EvaluationTask, outputs: [String: Tensor], batch: Batch, groups keys: [Int64]?, truth: String?) throws {
        var logProbability = [Double](repeating: 0, count: batch.size)
        for name in task.outputs {
            guard let logits = outputs[name] else {
                throw DataError.missingRequirement(dataset: "model outputs", column: name, reason: "evaluation task '\(task.name)' scores it")
            }
            // log σ(z) = −softplus(−z), so products of probabilities keep their precision.
            for (row, logit) in logits.scalars.enumerated() {
                let z = Double(logit)
                logProbability[row] -= Swift.max(-z, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(z)))
            }
        }
        let labels = try batch.tensor(task.label).scalars
        let keep = try task.rowsWhere.map { try batch.tensor($0).scalars.map { $0 == 1 } }
        let truthValues = try truth.map { try batch.tensor($0).scalars }
        for row in 0..<batch.size where keep?[row] ?? true {
            scores.append(Foundation.exp(logProbability[row]))
            self.labels.append(Double(labels[row]))
            if let keys { groups.append(keys[row]) }
            if let truthValues { self.truth.append(Double(truthValues[row])) }
        }
    }
}
