/// One scored view of a model's outputs: which outputs make the score, against which label,
/// on which rows, and which ground truth (if the dataset has it) the score is judged by.
///
/// A CTR model has one task (its output against its label over every exposure); the
/// entire-space CVR models have four — the protocols of entire-space.md §1: CTCVR-AUC,
/// CVR-AUC@O on clicked rows, CVR-AUC@D over all exposures, CTR-AUC.
public struct EvaluationTask: Sendable, Equatable {
    /// The metric prefix (`ctcvr` gives `ctcvr_auc`, …); empty: the metrics keep their plain
    /// names (`auc`, `gauc_avg`, …).
    public var name: String
    /// The score is the product of these outputs' probabilities, `Π σ(logit)`.
    public var outputs: [String]
    /// The label column scored against.
    public var label: String
    /// Only rows where this label column is 1 are scored (`nil`: every row).
    public var rowsWhere: String?
    /// The truth the score is judged by: the truth column whose `truthOf` is `label` and whose
    /// `truthGiven` is this condition (`nil` inside: an unconditional truth). `nil`: none.
    public var truth: TruthReference?
    /// How the score is written in protocol lines, e.g. `σ(ctr)·σ(cvr)`.
    public var scoreDescription: String

    public struct TruthReference: Sendable, Equatable {
        public var given: String?

        public init(given: String? = nil) {
            self.given = given
        }
    }

    public init(
        name: String, outputs: [String], label: String, rowsWhere: String? = nil, truth: TruthReference? = TruthReference(),
        scoreDescription: String? = nil
    ) {
        self.name = name
        self.outputs = outputs
        self.label = label
        self.rowsWhere = rowsWhere
        self.truth = truth
        self.scoreDescription = scoreDescription ?? outputs.map { "σ(\($0))" }.joined(separator: "·")
    }

    /// The name of one of this task's metrics.
    public func metricName(_ metric: String) -> String {
        name.isEmpty ? metric : "\(name)_\(metric)"
    }
}

extension FunnelModel {
    /// One task: the primary output against its label over every row, judged by the label's
    /// unconditional truth.
    public var evaluationTasks: [EvaluationTask] {
        [EvaluationTask(name: "", outputs: [primaryOutput], label: labels[primaryOutput] ?? primaryOutput)]
    }
}
