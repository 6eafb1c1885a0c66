import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelTensor

/// A watch-time task (watchtime.md §0.4): the first output ranks each user's rows against the
/// 0/1 relevance label — `auc` (one global ROC-AUC), `gauc` (per-user AUC weighted by
/// positives, D2Co), `ndcg@K` and `mrr` (means over all users, users without a positive count
/// 0), `xauc` and `xgauc` of the score against the observed watch time; a second output (a
/// predicted watch time) gives `mae`, `rmse` and `watch_xauc`; a simulated dataset's truth
/// columns give `truth_auc`, `truth_gauc`, `truth_ndcg@K` (interest) and `truth_xauc`
/// (counterfactual watch time); duration groups repeat the ranking metrics on their rows
/// (`d<g>_auc`, `d<g>_gauc`, `d<g>_ndcg@K`, `d<g>_xauc`, `d<g>_truth_auc`, `d<g>_truth_xauc`).
/// An undefined metric (one class, an empty group, no user column) is NaN and named in the
/// protocol line.
struct WatchTimeTaskScorer: TaskScorer {
    let task: EvaluationTask
    let watch: WatchTimeProtocol
    let group: String?
    /// The interest truth column judged against (`nil`: the dataset has none with role truth).
    let interestColumn: String?
    /// The counterfactual watch-time truth column (`nil`: none).
    let counterfactualColumn: String?
    private var scores: [Double] = []
    private var labels: [Double] = []
    private var groups: [Int64] = []
    private var watchTimes: [Double] = []
    private var durations: [Double] = []
    private var predictedWatchTimes: [Double] = []
    private var interest: [Double] = []
    private var counterfactual: [Double] = []

    init(task: EvaluationTask, protocol watch: WatchTimeProtocol, dataset: Dataset, grouped group: String?) throws {
        guard (1...2).contains(task.outputs.count) else {
            throw StrictJSON.Error(
                description: "watch-time task '\(task.name)': expected outputs [score] or [score, predicted watch time], got \(task.outputs)")
        }
        if let cutoff = watch.cutoffs.first(where: { $0 < 1 }) {
            throw StrictJSON.Error(description: "watch-time task '\(task.name)': cutoff \(cutoff) is not at least 1")
        }
        let bounds = watch.durationGroups
        guard bounds.allSatisfy(\.isFinite), zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw StrictJSON.Error(
                description: "watch-time task '\(task.name)': durationGroups \(bounds) must be finite and strictly increasing")
        }
        self.task = task
        self.watch = watch
        self.group = group
        interestColumn = Self.truthColumn(watch.interestTruth, in: dataset)
        counterfactualColumn = Self.truthColumn(watch.watchTimeTruth, in: dataset)
    }

    /// `name` when the dataset has it as a truth column.
    static func truthColumn(_ name: String?, in dataset: Dataset) -> String? {
        guard let name, dataset.schema.column(named: name)?.role == .truth else { return nil }
        return name
    }

    /// The dataset columns the scorer reads besides the task's label.
    var columns: [String] { [watch.watchTime, watch.duration] + [interestColumn, counterfactualColumn].compactMap { $0 } }

    /// The compared metrics in presentation order, and the counts (shared with ``MetricNames``).
    static func names(task: EvaluationTask, protocol watch: WatchTimeProtocol, interest: Bool, counterfactual: Bool)
        -> (compared: [String], counts: [String])
    {
        var compared = ["auc", "gauc"] + watch.cutoffs.map { "ndcg@\($0)" } + ["mrr", "xauc", "xgauc"]
        if task.outputs.count > 1 { compared += ["mae", "rmse", "watch_xauc"] }
        if interest { compared += ["truth_auc", "truth_gauc"] + watch.cutoffs.map { "truth_ndcg@\($0)" } }
        if counterfactual { compared.append("truth_xauc") }
        var counts = ["rows", "positives", "users", "users_without_positives"]
        for index in 0..<watch.durationGroupCount {
            let prefix = "d\(index + 1)_"
            compared += (["auc", "gauc"] + watch.cutoffs.map { "ndcg@\($0)" } + ["xauc"]).map { prefix + $0 }
            if interest { compared.append(prefix + "truth_auc") }
            if counterfactual { compared.append(prefix + "truth_xauc") }
            counts.append(prefix + "rows")
        }
        return (compared, counts)
    }

    var rows: (scores: [Double], labels: [Double], groups: [Int64]) { (scores, labels, groups) }

    mutating func add(_ outputs: [String: Tensor], batch: Batch, groups keys: [Int64]?) throws {
        func values(_ name: String, _ what: String) throws -> [Float] {
            let output = try Evaluator.output(name, of: outputs, task: task)
            guard output.shape == [batch.size] else {
                throw DataError.missingRequirement(
                    dataset: "model outputs", column: name, reason: "a watch-time task scores a [batch] \(what), got shape \(output.shape)")
            }
            return output.scalars
        }
        let score = try values(task.outputs[0], "ranking score")
        let predicted = try task.outputs.count > 1 ? values(task.outputs[1], "predicted watch time") : nil
        let labels = try batch.tensor(task.label).scalars
        let watchTimes = try batch.tensor(watch.watchTime).scalars
        let durations = try batch.tensor(watch.duration).scalars
        let interest = try interestColumn.map { try batch.tensor($0).scalars }
        let counterfactual = try counterfactualColumn.map { try batch.tensor($0).scalars }
        let keep = try Evaluator.keptRows(task, batch: batch)
        for row in 0..<batch.size where keep?[row] ?? true {
            scores.append(Double(score[row]))
            self.labels.append(Double(labels[row]))
            self.watchTimes.append(Double(watchTimes[row]))
            self.durations.append(Double(durations[row]))
            if let predicted { predictedWatchTimes.append(Double(predicted[row])) }
            if let keys { groups.append(keys[row]) }
            if let interest { self.interest.append(Double(interest[row])) }
            if let counterfactual { self.counterfactual.append(Double(counterfactual[row])) }
        }
    }

    func finish() throws -> (values: [(name: String, value: Double)], compared: [String], line: String) {
        var values: [String: Double] = [:]
        var undefined: [String] = []
        func measure(_ name: String, _ compute: () throws -> Double) {
            switch Result(catching: compute) {
            case .success(let value):
                values[name] = value
            case .failure(let error):
                values[name] = .nan
                undefined.append("\(name) (\(error))")
            }
        }
        let grouped = group != nil
        let cutoffs = watch.cutoffs
        let hasPredictions = task.outputs.count > 1

        // Every row.
        measure("auc") { try Metrics.auc(scores: scores, labels: labels) }
        var gauc: GroupedAUC?
        if grouped {
            measure("gauc") {
                let value = try GroupedAUC(scores: scores, labels: labels, groups: groups, weighting: .clicks)
                gauc = value
                return value.value
            }
            for cutoff in cutoffs {
                measure("ndcg@\(cutoff)") { try Metrics.meanNDCG(scores: scores, labels: labels, groups: groups, cutoff: cutoff) }
            }
            measure("mrr") { try Metrics.meanReciprocalRank(scores: scores, labels: labels, groups: groups) }
        } else {
            for name in ["gauc"] + cutoffs.map({ "ndcg@\($0)" }) + ["mrr", "xgauc"] { values[name] = .nan }
        }
        measure("xauc") { try Metrics.xauc(predictions: scores, targets: watchTimes) }
        var xgauc: GroupedXAUC?
        if grouped {
            measure("xgauc") {
                let value = try GroupedXAUC(predictions: scores, targets: watchTimes, groups: groups)
                xgauc = value
                return value.value
            }
        }
        if hasPredictions {
            let count = Double(Swift.max(predictedWatchTimes.count, 1))
            let errors = zip(predictedWatchTimes, watchTimes).map { $0 - $1 }
            values["mae"] = predictedWatchTimes.isEmpty ? .nan : errors.reduce(0) { $0 + Swift.abs($1) } / count
            values["rmse"] = predictedWatchTimes.isEmpty ? .nan : (errors.reduce(0) { $0 + $1 * $1 } / count).squareRoot()
            measure("watch_xauc") { try Metrics.xauc(predictions: predictedWatchTimes, targets: watchTimes) }
        }
        // Labels drawn once from the interest (seed 0); the duration groups use the same draw.
        var drawn: [Double]?
        var truthCeiling: Double?
        if interestColumn != nil {
            measure("truth_auc") {
                let evaluation = try TruthEvaluation(scores: scores, trueProbabilities: interest, seed: 0)
                drawn = TruthEvaluation.drawLabels(interest, seed: 0)
                truthCeiling = evaluation.truthAUC
                return evaluation.auc
            }
            if grouped, let drawn {
                measure("truth_gauc") { try GroupedAUC(scores: scores, labels: drawn, groups: groups, weighting: .clicks).value }
            } else {
                values["truth_gauc"] = .nan
            }
            for cutoff in cutoffs {
                if grouped {
                    measure("truth_ndcg@\(cutoff)") {
                        try Metrics.meanNDCG(scores: scores, labels: interest, groups: groups, cutoff: cutoff)
                    }
                } else {
                    values["truth_ndcg@\(cutoff)"] = .nan
                }
            }
        }
        if counterfactualColumn != nil {
            measure("truth_xauc") { try Metrics.xauc(predictions: scores, targets: counterfactual) }
        }

        // Counts.
        values["rows"] = Double(scores.count)
        values["positives"] = Double(labels.filter { $0 > 0 }.count)
        var userPositive: [Int64: Bool] = [:]
        for (key, label) in zip(groups, labels) { userPositive[key] = (userPositive[key] ?? false) || label > 0 }
        values["users"] = grouped ? Double(userPositive.count) : .nan
        values["users_without_positives"] = grouped ? Double(userPositive.values.filter { !$0 }.count) : .nan

        // Duration groups: the same metrics on each group's rows.
        var groupRows = [[Int]](repeating: [], count: watch.durationGroupCount)
        for (row, duration) in durations.enumerated() {
            if let index = watch.durationGroup(of: duration) { groupRows[index].append(row) }
        }
        var empty: [String] = []
        for (index, rows) in groupRows.enumerated() {
            let prefix = "d\(index + 1)_"
            values[prefix + "rows"] = Double(rows.count)
            let names = Self.names(task: task, protocol: watch, interest: interestColumn != nil, counterfactual: counterfactualColumn != nil)
                .compared.filter { $0.hasPrefix(prefix) }
            guard !rows.isEmpty else {
                for name in names { values[name] = .nan }
                empty.append("d\(index + 1)")
                continue
            }
            let scores = rows.map { self.scores[$0] }
            let labels = rows.map { self.labels[$0] }
            let groups = grouped ? rows.map { self.groups[$0] } : []
            let watchTimes = rows.map { self.watchTimes[$0] }
            measure(prefix + "auc") { try Metrics.auc(scores: scores, labels: labels) }
            if grouped {
                measure(prefix + "gauc") { try GroupedAUC(scores: scores, labels: labels, groups: groups, weighting: .clicks).value }
                for cutoff in cutoffs {
                    measure(prefix + "ndcg@\(cutoff)") {
                        try Metrics.meanNDCG(scores: scores, labels: labels, groups: groups, cutoff: cutoff)
                    }
                }
            } else {
                for name in [prefix + "gauc"] + cutoffs.map({ prefix + "ndcg@\($0)" }) { values[name] = .nan }
            }
            measure(prefix + "xauc") { try Metrics.xauc(predictions: scores, targets: watchTimes) }
            if interestColumn != nil {
                if let drawn {
                    measure(prefix + "truth_auc") { try Metrics.auc(scores: scores, labels: rows.map { drawn[$0] }) }
                } else {
                    values[prefix + "truth_auc"] = .nan
                }
            }
            if counterfactualColumn != nil {
                measure(prefix + "truth_xauc") { try Metrics.xauc(predictions: scores, targets: rows.map { counterfactual[$0] }) }
            }
        }

        let names = Self.names(task: task, protocol: watch, interest: interestColumn != nil, counterfactual: counterfactualColumn != nil)
        let ordered = (names.compared + names.counts).map { (name: $0, value: values[$0] ?? .nan) }
        return (ordered, names.compared, line(values: values, gauc: gauc, xgauc: xgauc, truthCeiling: truthCeiling,
                                               groupRows: groupRows, empty: empty, undefined: undefined))
    }

    private func line(
        values: [String: Double], gauc: GroupedAUC?, xgauc: GroupedXAUC?, truthCeiling: Double?, groupRows: [[Int]], empty: [String],
        undefined: [String]
    ) -> String {
        let scope = task.rowsWhere.map { "rows with \($0) = 1" } ?? "every row"
        let count = { (name: String) in values[name].map { $0.isNaN ? "-" : String(Int($0)) } ?? "-" }
        var parts = [
            "watch time: ranking score '\(task.scoreDescription)' against the relevance label '\(task.label)' on \(scope) (\(count("rows")) rows, \(count("positives")) positives)"
        ]
        if let group {
            parts.append(
                "per '\(group)' (\(count("users")) users, \(count("users_without_positives")) without a positive): each user's rows ranked by score, ties by first occurrence (row order) first; nDCG@K (gain 2^y − 1) and MRR averaged over all users, users without a positive count 0")
            let dropped = gauc.map { " (\($0.groupsDropped) of \($0.groupsUsed + $0.groupsDropped) users dropped for one class)" } ?? ""
            parts.append("GAUC weighted by positives (D2Co), users with one class dropped\(dropped)")
        } else {
            parts.append("no user column: GAUC, nDCG@K, MRR and XGAUC are NaN")
        }
        parts.append("AUC: one global ROC-AUC, tied scores count half a pair")
        var xauc = "XAUC: score against '\(watch.watchTime)' (pairs tied in either count as discordant)"
        if let xgauc {
            xauc += "; XGAUC weights users by rows, users with zero total watch time dropped (\(xgauc.groupsDropped) of \(xgauc.groupsUsed + xgauc.groupsDropped))"
        }
        parts.append(xauc)
        if task.outputs.count > 1 {
            parts.append("predicted watch time '\(task.outputs[1])' against '\(watch.watchTime)': MAE, RMSE, watch_xauc")
        }
        if let interestColumn {
            let ceiling = truthCeiling.map { String(format: "%.4f", $0) } ?? "-"
            parts.append(
                "truth: labels drawn once (seed 0) from '\(interestColumn)' for truth_auc and truth_gauc (the truth itself reaches AUC \(ceiling)), '\(interestColumn)' itself as graded gain for truth_ndcg@K")
        }
        if let counterfactualColumn { parts.append("truth_xauc: score against '\(counterfactualColumn)'") }
        if !groupRows.isEmpty {
            let described = groupRows.indices.map { "d\($0 + 1) \(watch.durationGroupDescription($0)) \(groupRows[$0].count) rows" }
            var text = "duration groups by '\(watch.duration)' (seconds): " + described.joined(separator: ", ")
            if !empty.isEmpty { text += "; \(empty.joined(separator: ", ")) empty: its metrics are NaN" }
            parts.append(text)
        }
        if !undefined.isEmpty { parts.append("undefined (NaN): " + undefined.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }
}
