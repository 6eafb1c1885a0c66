import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelTensor

/// A binary task: the product of the outputs' probabilities against a 0/1 label — AUC, GAUC
/// (avg/show/click), logloss, calibration, and the truth metrics of a simulated dataset.
struct BinaryTaskScorer: TaskScorer {
    let task: EvaluationTask
    let group: String?
    /// The truth column judged against (`nil`: none).
    let truthColumn: String?
    private var scores: [Double] = []
    private var labels: [Double] = []
    private var groups: [Int64] = []
    private var truth: [Double] = []

    init(task: EvaluationTask, dataset: Dataset, truthColumn: String?, grouped group: String?) throws {
        self.task = task
        self.group = group
        if let truthColumn {
            guard dataset.schema.column(named: truthColumn)?.role == .truth else {
                throw DataError.missingRequirement(dataset: dataset.schema.name, column: truthColumn, reason: "a truth column to score against")
            }
            self.truthColumn = truthColumn
        } else {
            self.truthColumn = Self.defaultTruthColumn(of: task, in: dataset)
        }
    }

    /// The truth column a simulated dataset names for the task's label (its metrics join by
    /// default), if any.
    static func defaultTruthColumn(of task: EvaluationTask, in dataset: Dataset) -> String? {
        guard let reference = task.truth else { return nil }
        return dataset.schema.columns.first {
            $0.role == .truth && $0.truthOf == task.label && $0.truthGiven == reference.given
        }?.name
    }

    var rows: (scores: [Double], labels: [Double], groups: [Int64]) { (scores, labels, groups) }

    mutating func add(_ outputs: [String: Tensor], batch: Batch, groups keys: [Int64]?) throws {
        let logProbability = try Self.logProbabilities(task, outputs: outputs, rows: batch.size)
        let labels = try batch.tensor(task.label).scalars
        let keep = try Evaluator.keptRows(task, batch: batch)
        let truthValues = try truthColumn.map { try batch.tensor($0).scalars }
        for row in 0..<batch.size where keep?[row] ?? true {
            scores.append(Foundation.exp(logProbability[row]))
            self.labels.append(Double(labels[row]))
            if let keys { groups.append(keys[row]) }
            if let truthValues { truth.append(Double(truthValues[row])) }
        }
    }

    /// `log Π σ(logit)` over the task's outputs, per row. log σ(z) = −softplus(−z), so products
    /// of probabilities keep their precision.
    static func logProbabilities(_ task: EvaluationTask, outputs: [String: Tensor], rows: Int) throws -> [Double] {
        var logProbability = [Double](repeating: 0, count: rows)
        for name in task.outputs {
            let logits = try Evaluator.output(name, of: outputs, task: task)
            for (row, logit) in logits.scalars.enumerated() {
                let z = Double(logit)
                logProbability[row] -= Swift.max(-z, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(z)))
            }
        }
        return logProbability
    }

    func finish() throws -> (values: [(name: String, value: Double)], compared: [String], line: String) {
        let scope = task.rowsWhere.map { "rows with \($0) = 1 (\(scores.count))" } ?? "every row"
        var line = "score \(task.scoreDescription) against '\(task.label)' on \(scope)"
        var values: [(name: String, value: Double)]
        do {
            let evaluation = try BinaryEvaluation(scores: scores, labels: labels, groups: group == nil ? nil : groups)
            values = evaluation.values
            if let group, let gauc = evaluation.groupedAUC[.uniform] {
                line += "; GAUC by '\(group)' (avg: weight 1, show: exposures, click: positives), \(gauc.groupsDropped) of \(gauc.groupsUsed + gauc.groupsDropped) groups dropped for one class"
            }
        } catch {
            // An undefined metric (one class, no group with both) is NaN in the table, named here.
            values = Self.definedValues(scores: scores, labels: labels, grouped: group != nil)
            line += "; undefined: \(error)"
        }
        if !task.groupedCutoffs.isEmpty {
            values += groupedTopK()
            line += "; per '\(group ?? "-")' top-K: each user's rows ranked by score (ties by row order), NDCG@K and Recall@K averaged over users with a positive row, users without one excluded and counted (users_without_positives)"
        }
        if let truthColumn {
            let truthEvaluation = try TruthEvaluation(scores: scores, trueProbabilities: truth, seed: 0)
            values += [
                ("truth_auc", truthEvaluation.auc), ("truth_logloss", truthEvaluation.logLoss ?? .nan),
                ("truth_correlation", truthEvaluation.correlation), ("truth_auc_ceiling", truthEvaluation.truthAUC),
            ]
            line += "; truth: labels drawn once (seed 0) from '\(truthColumn)' on those rows (the truth itself reaches AUC \(String(format: "%.4f", truthEvaluation.truthAUC)))"
        }
        let names = values.map(\.name)
        let compared = Self.preferred.filter(names.contains) + names.filter { !Self.preferred.contains($0) && !Self.counts.contains($0) }
        return (values, compared, line)
    }

    /// `ndcg@K`, `recall@K` per cutoff and `users_without_positives` (NaN where no user has a
    /// positive row or no grouping column exists).
    func groupedTopK() -> [(name: String, value: Double)] {
        let cutoffs = task.groupedCutoffs
        let result = group == nil ? nil : try? GroupedTopK(scores: scores, labels: labels, groups: groups, cutoffs: cutoffs)
        var values: [(name: String, value: Double)] = []
        for cutoff in cutoffs {
            values.append(("ndcg@\(cutoff)", result?.ndcg[cutoff] ?? .nan))
            values.append(("recall@\(cutoff)", result?.recall[cutoff] ?? .nan))
        }
        let withoutPositives: Double = result.map { Double($0.usersWithoutPositives) } ?? .nan
        values.append(("users_without_positives", withoutPositives))
        return values
    }

    /// The metrics of rows whose labels leave AUC or every GAUC undefined: counts, logloss and
    /// the defined values, NaN for the rest.
    static func definedValues(scores: [Double], labels: [Double], grouped: Bool) -> [(name: String, value: Double)] {
        var values: [(name: String, value: Double)]
        if let ungrouped = try? BinaryEvaluation(scores: scores, labels: labels, groups: nil as [Int64]?) {
            values = ungrouped.values
        } else {
            let positives = Double(labels.filter { $0 > 0 }.count)
            values = [("rows", Double(scores.count)), ("positives", positives), ("auc", .nan)]
            values.append(("logloss", (try? Metrics.logLoss(probabilities: scores, labels: labels)) ?? .nan))
        }
        if grouped { values += ["gauc_avg", "gauc_show", "gauc_click"].map { ($0, Double.nan) } }
        return values
    }

    static let preferred = ["auc", "gauc_avg", "gauc_show", "gauc_click", "logloss", "truth_auc", "truth_logloss", "truth_correlation"]
    // Counts and the truth's own AUC belong to the protocol lines, not to the compared metrics.
    static let counts: Set<String> = [
        "rows", "positives", "groups_used", "groups_dropped", "rows_in_dropped_groups", "users_without_positives", "truth_auc_ceiling",
    ]
}
