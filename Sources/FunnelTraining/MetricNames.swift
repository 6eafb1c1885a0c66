import FunnelData
import FunnelMetrics
import FunnelModels

/// The names of the metrics an evaluation can produce, derived from the model's evaluation
/// tasks and the dataset before any work — the one list that early stopping's metric and an
/// experiment's `metrics` are checked against. It follows the task scorers: binary tasks
/// (``BinaryTaskScorer``), regression tasks (``RegressionTaskScorer``), ranking tasks
/// (``RankingTaskScorer``) and watch-time tasks (``WatchTimeTaskScorer``), each name prefixed
/// by its task's name.
public struct MetricNames: Sendable, Equatable {
    /// Every name the evaluation's `metrics` may hold, counts included.
    public var all: [String]
    /// The compared metrics (counts left out), in presentation order.
    public var compared: [String]

    /// - Parameters:
    ///   - groupColumn: the configured grouping column (default: the dataset's user column).
    ///   - truthColumn: the primary task's configured truth column (default: the one the
    ///     dataset marks as the truth of its label).
    public init(tasks: [EvaluationTask], dataset: Dataset, groupColumn: String? = nil, truthColumn: String? = nil) {
        let grouped = (groupColumn ?? dataset.schema.columns.first { $0.role == .user }?.name) != nil
        var all: [String] = []
        var compared: [String] = []
        for (index, task) in tasks.enumerated() {
            var values: [String]
            var counts: [String]
            switch task.kind {
            case .binary:
                let truth = index == 0 && truthColumn != nil
                    || BinaryTaskScorer.defaultTruthColumn(of: task, in: dataset) != nil
                values = ["auc"] + (grouped ? ["gauc_avg", "gauc_show", "gauc_click"] : []) + ["logloss"]
                    + (truth ? ["truth_auc", "truth_logloss", "truth_correlation"] : [])
                    + ["calibration_ratio", "expected_calibration_error"]
                counts = ["rows", "positives"] + (grouped ? ["groups_used", "groups_dropped", "rows_in_dropped_groups"] : [])
                    + (truth ? ["truth_auc_ceiling"] : [])
                values += task.groupedCutoffs.flatMap { ["ndcg@\($0)", "recall@\($0)"] }
                counts += task.groupedCutoffs.isEmpty ? [] : ["users_without_positives"]
            case .regression(let regression):
                values = ["mae", "mse", "rmse", "xauc"] + (grouped ? ["xgauc"] : [])
                if regression.relevanceThreshold != nil { values += ["relevance_auc"] + (grouped ? ["relevance_gauc"] : []) }
                counts = ["rows"]
            case .ranking(let ranking):
                values = ranking.cutoffs.flatMap { cutoff in
                    [RankingMetric.hitRatio, .ndcg, .reciprocalRank].map { "\($0.rawValue)@\(cutoff)" }
                } + ["mrr"]
                if dataset.schema.rankingTruth?.isEmpty == false {
                    values += ranking.cutoffs.flatMap { ["truth_ndcg@\($0)", "truth_mass@\($0)"] }
                }
                counts = ["users"]
            case .watchTime(let watch):
                (values, counts) = WatchTimeTaskScorer.names(
                    task: task, protocol: watch,
                    interest: WatchTimeTaskScorer.truthColumn(watch.interestTruth, in: dataset) != nil,
                    counterfactual: WatchTimeTaskScorer.truthColumn(watch.watchTimeTruth, in: dataset) != nil)
            }
            compared += values.map(task.metricName)
            all += (values + counts).map(task.metricName)
        }
        for mean in Self.taskMeans(tasks: tasks, compared: compared) {
            compared.append(mean.name)
            all.append(mean.name)
        }
        self.all = all
        self.compared = compared
    }

    /// The averages over tasks that a model with two or more binary tasks is also judged by
    /// (the multi-task tables' average column, multitask.md §0; early stopping may watch it):
    /// `mean_auc` over every binary task's AUC and `mean_truth_auc` over those with a truth,
    /// each unweighted and only where two or more tasks take part and no task already produces
    /// the name.
    static func taskMeans(tasks: [EvaluationTask], compared: [String]) -> [(name: String, parts: [String])] {
        let binary = tasks.filter { $0.kind == .binary }
        return ["auc", "truth_auc"].compactMap { metric in
            let parts = binary.map { $0.metricName(metric) }.filter(compared.contains)
            let name = "mean_\(metric)"
            return parts.count >= 2 && !compared.contains(name) ? (name, parts) : nil
        }
    }

    /// `name`, or a refusal naming `field` and listing the metrics the evaluation produces.
    public func check(_ name: String, field: String, including counts: Bool = true) throws {
        guard !(counts ? all : compared).contains(name) else { return }
        throw StrictJSON.Error(
            description: "field '\(field)': the evaluation produces no metric '\(name)' (expected one of: \(compared.joined(separator: ", ")))")
    }
}
