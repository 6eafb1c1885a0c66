/// What an experiment produced: every run of every model and seed, with the protocol that
/// makes its numbers comparable. `ExperimentReport` renders it as a table, Markdown and charts.
public struct ExperimentResult: Codable, Sendable {
    /// The dataset's name.
    public var dataset: String
    /// Lines naming the protocol: which split and rows were scored, which label, which GAUC
    /// weights and grouping key, how many groups were dropped, whether truth metrics are present.
    public var protocolDescription: [String]
    /// The metric names in display order (every run has a value for each, or NaN).
    public var metricNames: [String]
    public var runs: [RunResult]

    public init(dataset: String, protocolDescription: [String], metricNames: [String], runs: [RunResult]) {
        self.dataset = dataset
        self.protocolDescription = protocolDescription
        self.metricNames = metricNames
        self.runs = runs
    }
}

/// One model trained with one seed.
public struct RunResult: Codable, Sendable {
    public var model: String
    public var seed: UInt64
    /// Final metrics on the evaluation split, by name (e.g. `auc`, `gauc_avg`, `truth_auc`).
    public var metrics: [String: Double]
    /// The training curve: loss (and, where evaluated, a metric) by step.
    public var curve: [CurvePoint]
    /// The ROC curve of the main label on the evaluation split (at most a few hundred points).
    public var roc: [ROCPoint]
    /// Training throughput (training steps only).
    public var samplesPerSecond: Double
    /// The mean over the run's steps of every value the model's loss logged (USD: the mean
    /// weight per partition).
    public var trainingLogMeans: [String: Double]?

    public init(model: String, seed: UInt64, metrics: [String: Double], curve: [CurvePoint], roc: [ROCPoint], samplesPerSecond: Double) {
        self.model = model
        self.seed = seed
        self.metrics = metrics
        self.curve = curve
        self.roc = roc
        self.samplesPerSecond = samplesPerSecond
    }
}

public struct CurvePoint: Codable, Sendable, Equatable {
    public var step: Int
    public var loss: Double
    /// The evaluation metric at this step, when an evaluation ran here.
    public var evaluation: Double?

    public init(step: Int, loss: Double, evaluation: Double? = nil) {
        self.step = step
        self.loss = loss
        self.evaluation = evaluation
    }
}

public struct ROCPoint: Codable, Sendable, Equatable {
    public var falsePositiveRate: Double
    public var truePositiveRate: Double

    public init(falsePositiveRate: Double, truePositiveRate: Double) {
        self.falsePositiveRate = falsePositiveRate
        self.truePositiveRate = truePositiveRate
    }
}
