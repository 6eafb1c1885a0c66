import Foundation
import FunnelData
import FunnelDistributed
import FunnelMetrics
import FunnelModels
import FunnelTensor

/// Scores a split with a model and computes every metric of every evaluation task.
public struct Evaluation: Sendable {
    /// Metric name → value, per task (prefixed by the task's name unless it is empty): binary
    /// tasks `auc`, `logloss`, `calibration_ratio`, `gauc_*`, truth metrics; regression tasks
    /// `mae`, `mse`, `rmse`, `xauc`, `xgauc` (and binary metrics against the relevance label); ranking
    /// tasks `hr@K`, `ndcg@K`, `mrr@K`, `mrr`; watch-time tasks `auc`, `gauc`, `ndcg@K`, `mrr`,
    /// `xauc`, `xgauc`, `mae`, `rmse`, `watch_xauc`, `truth_*` and `d<g>_*` per duration group.
    public var metrics: [String: Double]
    /// The primary task's headline metric (`auc`, `xauc`, `ndcg@10`, `gauc`, …): early stopping's
    /// default.
    public var primaryMetric: String
    /// The primary task (its kind tells what `scores` hold).
    public var primaryTask: EvaluationTask
    /// The compared metrics in presentation order, task by task; counts left out.
    public var metricOrder: [String]
    /// The primary task's scores (binary: probabilities; regression: predicted values; watch
    /// time: the ranking score, its labels the relevance label), labels and group keys of every
    /// scored row, in row order; empty for a ranking task.
    public var scores: [Double]
    public var labels: [Double]
    public var groups: [Int64]?
    /// Lines naming the protocol of every task (rows, label, score, grouping, truth, …).
    public var protocolDescription: [String]
}

/// Gathers one evaluation task's rows batch by batch, then computes its metrics.
protocol TaskScorer {
    mutating func add(_ outputs: [String: Tensor], batch: Batch, groups: [Int64]?) throws
    /// The metrics (name without the task prefix, value), the compared ones in presentation
    /// order, and the task's protocol line.
    func finish() throws -> (values: [(name: String, value: Double)], compared: [String], line: String)
    /// The scored rows for ROC curves and predictions: scores, labels, groups.
    var rows: (scores: [Double], labels: [Double], groups: [Int64]) { get }
}

public enum Evaluator {
    /// Scores the rows of `split` (every row, or those `rows` keeps) with each of the model's
    /// evaluation tasks, in its evaluation mode and without gradients.
    /// - Parameters:
    ///   - groupColumn: the grouping of GAUC and XGAUC (default: the dataset's user column).
    ///   - truthColumn: the primary task's truth column (default: the one the dataset marks as
    ///     the truth of its label).
    ///   - communicator: data parallel, the ranks that share the forward passes (every rank
    ///     calls this and gets the same metrics; ``ScoredBatches``); `nil`: alone.
    public static func evaluate(
        model: some FunnelModel, dataset: Dataset, split: String, rows: [Bool]? = nil, batchSize: Int = 4096,
        groupColumn: String? = nil, truthColumn: String? = nil, communicator: Communicator? = nil
    ) throws -> Evaluation {
        let table = try dataset.split(split)
        let tasks = model.evaluationTasks
        precondition(!tasks.isEmpty, "Funnel: a model without evaluation tasks")
        let group = groupColumn ?? dataset.schema.columns.first { $0.role == .user }?.name
        var scorers: [any TaskScorer] = []
        var columns = Set(group.map { [$0] } ?? [])
        for (index, task) in tasks.enumerated() {
            columns.insert(task.label)
            if let rowsWhere = task.rowsWhere { columns.insert(rowsWhere) }
            switch task.kind {
            case .binary:
                let scorer = try BinaryTaskScorer(task: task, dataset: dataset, truthColumn: index == 0 ? truthColumn : nil, grouped: group)
                if let truth = scorer.truthColumn { columns.insert(truth) }
                scorers.append(scorer)
            case .regression(let regression):
                scorers.append(RegressionTaskScorer(task: task, protocol: regression, grouped: group))
            case .ranking(let ranking):
                if let history = ranking.history { columns.insert(history) }
                scorers.append(try RankingTaskScorer(task: task, protocol: ranking, dataset: dataset, split: split))
            case .watchTime(let watch):
                let scorer = try WatchTimeTaskScorer(task: task, protocol: watch, dataset: dataset, grouped: group)
                columns.formUnion(scorer.columns)
                scorers.append(scorer)
            }
        }
        var kept = rows
        // Rows a task excludes (a sample the model learned from) leave every task of the split.
        let exclusions = tasks.compactMap(\.excludedRows).filter { $0.split == split }
        if !exclusions.isEmpty {
            var scored = rows ?? Array(repeating: true, count: table.rowCount)
            for exclusion in exclusions {
                for row in exclusion.rows where row < scored.count { scored[row] = false }
            }
            kept = scored
        }
        if case .ranking(let ranking) = tasks[0].kind, let cap = ranking.maximumUsers {
            // The cap counts the rows the ranking task scores.
            var scored = rows ?? Array(repeating: true, count: table.rowCount)
            if let rowsWhere = tasks[0].rowsWhere {
                for (row, value) in try dataset.rows(split: split, where: rowsWhere).enumerated() where !value { scored[row] = false }
            }
            kept = RankingTaskScorer.cap(scored, to: cap, seed: ranking.seed)
        }
        let batcher = try model.requirements.batcher(
            dataset: dataset, split: split, batchSize: batchSize, training: false, rows: kept, extraColumns: columns)
        model.train(false)
        defer { model.train() }
        model.prepareForInference()
        try withoutGradients {
            try ScoredBatches.forEach(batcher.batches(epoch: 0), batcher: batcher, model: model, communicator: communicator) { batch, outputs in
                let groupKeys = group.map { batch.keys[$0] ?? batch.ids[$0]?.map(Int64.init) ?? [] }
                for index in scorers.indices { try scorers[index].add(outputs, batch: batch, groups: groupKeys) }
            }
        }
        let scoredRows = kept.map { $0.filter { $0 }.count } ?? table.rowCount
        var metrics: [String: Double] = [:]
        var order: [String] = []
        var description = ["rows: split '\(split)' (\(scoredRows) of \(table.rowCount) rows\(kept == nil ? ", no sampling" : ""))"]
        for exclusion in exclusions {
            description.append("excluded: \(exclusion.rows.count) rows of split '\(split)', \(exclusion.reason)")
        }
        for (task, scorer) in zip(tasks, scorers) {
            let result = try scorer.finish()
            for (name, value) in result.values { metrics[task.metricName(name)] = value }
            order += result.compared.map(task.metricName)
            description.append((task.name.isEmpty ? "" : "\(task.name): ") + result.line)
        }
        for mean in MetricNames.taskMeans(tasks: tasks, compared: order) {
            metrics[mean.name] = mean.parts.reduce(0) { $0 + (metrics[$1] ?? .nan) } / Double(mean.parts.count)
            order.append(mean.name)
        }
        let primary = scorers[0].rows
        return Evaluation(
            metrics: metrics, primaryMetric: tasks[0].primaryMetric, primaryTask: tasks[0], metricOrder: order, scores: primary.scores,
            labels: primary.labels, groups: group == nil || primary.groups.isEmpty ? nil : primary.groups,
            protocolDescription: description)
    }

    /// The rows of a batch a task scores: every row, or those whose `rowsWhere` column is 1.
    static func keptRows(_ task: EvaluationTask, batch: Batch) throws -> [Bool]? {
        try task.rowsWhere.map { try batch.tensor($0).scalars.map { $0 == 1 } }
    }

    /// A model output by name, or an error naming the task that needs it.
    static func output(_ name: String, of outputs: [String: Tensor], task: EvaluationTask) throws -> Tensor {
        guard let output = outputs[name] else {
            throw DataError.missingRequirement(dataset: "model outputs", column: name, reason: "evaluation task '\(task.name)' scores it")
        }
        return output
    }
}
