import FunnelNN

/// One scored view of a model's outputs: which outputs make the score, against which label, on
/// which rows, how it is scored (binary, regression, item ranking) and which ground truth (if
/// the dataset has it) the score is judged by.
///
/// A CTR model has one binary task (its output against its label over every exposure); the
/// entire-space CVR models have four — the protocols of entire-space.md §1: CTCVR-AUC,
/// CVR-AUC@O on clicked rows, CVR-AUC@D over all exposures, CTR-AUC. A watch-time model has a
/// regression task or a watch-time task, a sequential recommender a ranking task over the
/// catalogue.
public struct EvaluationTask: Sendable, Equatable {
    /// How the outputs are scored.
    public enum Kind: Sendable, Equatable {
        /// `Π σ(logit)` of the outputs (each `[n]`) against a 0/1 label: AUC, GAUC, logloss,
        /// calibration, and truth metrics.
        case binary
        /// The first output (`[n]`) as a predicted value against a dense label.
        case regression(RegressionProtocol)
        /// The first output (`[n, catalogue]`: one score per item id) ranks the catalogue for
        /// each row; the label is the row's target item (a categorical column).
        case ranking(RankingProtocol)
        /// The first output (`[n]`: a ranking score, such as a logit) ranks each user's rows
        /// against the 0/1 relevance label (watchtime.md §0.2); an optional second output
        /// (`[n]`) is a predicted watch time in seconds. Scored as in watchtime.md §0.4 (AUC,
        /// GAUC, nDCG@K, MRR, XAUC, XGAUC, MAE, RMSE, truth and duration-group metrics).
        case watchTime(WatchTimeProtocol)
    }

    /// The metric prefix (`ctcvr` gives `ctcvr_auc`, …); empty: the metrics keep their plain
    /// names (`auc`, `gauc_avg`, …).
    public var name: String
    /// The outputs scored (binary: the product of their probabilities).
    public var outputs: [String]
    /// The label column scored against (ranking: the target item column; watch time: the 0/1
    /// relevance label).
    public var label: String
    /// Only rows where this label column is 1 are scored (`nil`: every row).
    public var rowsWhere: String?
    /// The truth the score is judged by (binary tasks; a watch-time task names its truth
    /// columns in its ``WatchTimeProtocol``): the truth column whose `truthOf` is
    /// `label` and whose `truthGiven` is this condition (`nil` inside: an unconditional truth).
    /// `nil`: none.
    public var truth: TruthReference?
    /// How the score is written in protocol lines, e.g. `σ(ctr)·σ(cvr)`.
    public var scoreDescription: String
    public var kind: Kind
    /// Binary tasks: the cutoffs K of per-user NDCG@K and Recall@K over each user's scored rows
    /// ranked by score (`ndcg@K`, `recall@K`, `users_without_positives`; FunnelMetrics'
    /// `GroupedTopK`: users without a positive row are excluded and counted, ties by row order).
    /// Empty: none.
    public var groupedCutoffs: [Int]
    /// Rows of one split this task never scores (a sample the model learned from, as the
    /// missing-at-random sample of Naive-Bayes propensities); `nil`: none.
    public var excludedRows: ExcludedRows?

    /// Rows of a split left out of evaluation, by 0-based row index.
    public struct ExcludedRows: Sendable, Equatable {
        public var split: String
        public var rows: Set<Int>
        /// Why, for the protocol line (e.g. "the 5% missing-at-random sample of the propensities").
        public var reason: String

        public init(split: String, rows: Set<Int>, reason: String) {
            self.split = split
            self.rows = rows
            self.reason = reason
        }
    }

    public struct TruthReference: Sendable, Equatable {
        public var given: String?

        public init(given: String? = nil) {
            self.given = given
        }
    }

    public init(
        name: String, outputs: [String], label: String, rowsWhere: String? = nil, truth: TruthReference? = TruthReference(),
        scoreDescription: String? = nil, kind: Kind = .binary, groupedCutoffs: [Int] = [], excludedRows: ExcludedRows? = nil
    ) {
        self.groupedCutoffs = kind == .binary ? groupedCutoffs : []
        self.excludedRows = excludedRows
        self.name = name
        self.outputs = outputs
        self.label = label
        self.rowsWhere = rowsWhere
        self.truth = kind == .binary ? truth : nil
        self.kind = kind
        self.scoreDescription = scoreDescription ?? (kind == .binary ? outputs.map { "σ(\($0))" }.joined(separator: "·") : outputs[0])
    }

    /// The name of one of this task's metrics.
    public func metricName(_ metric: String) -> String {
        name.isEmpty ? metric : "\(name)_\(metric)"
    }

    /// Whether the task's rows pair one score with a 0/1 label (binary and watch-time tasks),
    /// so that a ROC curve of an evaluation's scores and labels means something.
    public var scoresBinaryLabel: Bool {
        switch kind {
        case .binary, .watchTime: return true
        case .regression, .ranking: return false
        }
    }

    /// The metric early stopping watches by default: AUC (binary), XAUC (regression),
    /// NDCG at the cutoff nearest 10 (ranking), GAUC (watch time, D2Co's headline metric).
    public var primaryMetric: String {
        switch kind {
        case .binary: return metricName("auc")
        case .regression: return metricName("xauc")
        case .ranking(let ranking): return metricName("ndcg@\(ranking.primaryCutoff)")
        case .watchTime: return metricName("gauc")
        }
    }
}

/// How a regression task is scored: MAE and RMSE of the value, XAUC (the share of row pairs
/// ordered as their labels) and XGAUC (XAUC per user, weighted by pairs), and, with a
/// threshold, the binary metrics of the value against the relevance label `label > threshold`
/// (watchtime.md's "effective view").
public struct RegressionProtocol: Sendable, Equatable, Codable {
    public var relevanceThreshold: Float?

    public init(relevanceThreshold: Float? = nil) {
        self.relevanceThreshold = relevanceThreshold
    }
}

/// How a ranking task is scored (sequential.md §0.2–§0.3): per evaluated row, the target's
/// 0-based rank `r` among the candidates, and the mean of `HR@K = 1[r < K]`,
/// `NDCG@K = 1[r < K]/log2(r + 2)` and `MRR@K = 1[r < K]/(r + 1)` over rows.
public struct RankingProtocol: Sendable, Equatable, Codable {
    /// Where a target goes among candidates with its exact score.
    public enum TieBreaking: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// Ahead of every tied candidate (sequential.md §0.3, original SASRec).
        case optimistic
        /// Behind every tied candidate.
        case pessimistic
        /// The mean over uniformly random orders of the tied candidates.
        case expected
    }

    /// The id-list column of the items the row's user has seen (`nil`: none known).
    public var history: String?
    /// Remove the history's items from the candidates (never the target).
    public var maskHistory: Bool
    /// `nil`: rank the full catalogue; `n`: the target and `n` negatives drawn uniformly from
    /// the items outside the history (`uni100` is 100).
    public var sampledNegatives: Int?
    public var cutoffs: [Int]
    /// Evaluate at most this many rows (users), a seeded random subset (`nil`: all).
    public var maximumUsers: Int?
    public var tieBreaking: TieBreaking
    /// Seeds the sampled negatives and the user subset.
    public var seed: UInt64
    /// The smallest id that is a real item (`nil`: the vocabulary's first value id); a
    /// sequence dataset reserves id 0 of its identity vocabulary.
    public var firstItem: Int32?

    public init(
        history: String? = nil, maskHistory: Bool = true, sampledNegatives: Int? = nil, cutoffs: [Int] = [5, 10, 20],
        maximumUsers: Int? = nil, tieBreaking: TieBreaking = .optimistic, seed: UInt64 = 0, firstItem: Int32? = nil
    ) {
        self.firstItem = firstItem
        self.history = history
        self.maskHistory = maskHistory
        self.sampledNegatives = sampledNegatives
        self.cutoffs = cutoffs
        self.maximumUsers = maximumUsers
        self.tieBreaking = tieBreaking
        self.seed = seed
    }

    /// The cutoff the primary metric uses: 10 when listed, else the first.
    public var primaryCutoff: Int { cutoffs.contains(10) ? 10 : cutoffs.first ?? 10 }
}
