/// The per-model statistics of an ``ExperimentResult``: for every model and metric, the mean,
/// the sample standard deviation and how many seeds gave a value.
///
/// ``ExperimentReport`` renders its table, Markdown, JSON and charts from this value, so every
/// output agrees on the numbers. A NaN or infinite value (a metric that was undefined for one
/// seed) is left out of the mean and counted in ``Statistic/missing``.
public struct ExperimentSummary: Codable, Sendable, Equatable {
    /// The mean and spread of one quantity over a model's seeds.
    public struct Statistic: Codable, Sendable, Equatable {
        /// The mean of the finite values, or `nil` when there is none.
        public var mean: Double?
        /// The sample standard deviation (divisor `n − 1`) of the finite values, or `nil` when
        /// there are fewer than two.
        public var standardDeviation: Double?
        /// How many finite values went into the mean.
        public var count: Int
        /// How many values were NaN or infinite and left out.
        public var missing: Int

        public init(mean: Double?, standardDeviation: Double?, count: Int, missing: Int) {
            self.mean = mean
            self.standardDeviation = standardDeviation
            self.count = count
            self.missing = missing
        }

        /// The statistic of `values`, leaving out the non-finite ones.
        ///
        /// - Parameter values: One value per seed; NaN and ±∞ count as missing.
        public init(values: [Double]) {
            let finite = values.filter { $0.isFinite }
            count = finite.count
            missing = values.count - finite.count
            guard !finite.isEmpty else {
                mean = nil
                standardDeviation = nil
                return
            }
            let average = finite.reduce(0, +) / Double(finite.count)
            mean = average
            if finite.count > 1 {
                // Two passes: the sum of squared deviations from the mean, not E[x²] − E[x]²,
                // which cancels badly for values like 0.7123 ± 0.0004.
                let squares = finite.reduce(0) { $0 + ($1 - average) * ($1 - average) }
                let spread = (squares / Double(finite.count - 1)).squareRoot()
                // Equal values must show a spread of 0, not the rounding of their mean (6.8e-17).
                standardDeviation = spread <= abs(average) * 1e-12 ? 0 : spread
            } else {
                standardDeviation = nil
            }
        }
    }

    /// One model's statistics over its seeds.
    public struct Model: Codable, Sendable, Equatable {
        /// The model's name, as in ``RunResult/model``.
        public var name: String
        /// The seeds of the model's runs, in the order they appear in the result.
        public var seeds: [UInt64]
        /// One statistic per metric name of the result.
        public var metrics: [String: Statistic]
        /// Training throughput over the seeds.
        public var samplesPerSecond: Statistic

        public init(
            name: String, seeds: [UInt64], metrics: [String: Statistic],
            samplesPerSecond: Statistic
        ) {
            self.name = name
            self.seeds = seeds
            self.metrics = metrics
            self.samplesPerSecond = samplesPerSecond
        }

        /// The statistic of `metric`, or an empty one when the model has no such metric.
        public func statistic(_ metric: String) -> Statistic {
            metrics[metric] ?? Statistic(mean: nil, standardDeviation: nil, count: 0, missing: 0)
        }
    }

    /// The metric names in display order, as in ``ExperimentResult/metricNames``.
    public var metricNames: [String]
    /// One entry per model, in the order models first appear among the runs.
    public var models: [Model]

    public init(metricNames: [String], models: [Model]) {
        self.metricNames = metricNames
        self.models = models
    }

    /// Summarises `result`: groups its runs by model in first-appearance order and computes
    /// each metric's statistic over the seeds.
    ///
    /// - Parameter result: The experiment; a run that lacks a metric counts it as missing.
    public init(_ result: ExperimentResult) {
        let groups = result.runsByModel()
        metricNames = result.metricNames
        models = groups.map { name, runs in
            var metrics: [String: Statistic] = [:]
            for metric in result.metricNames {
                metrics[metric] = Statistic(values: runs.map { $0.metrics[metric] ?? .nan })
            }
            return Model(
                name: name, seeds: runs.map(\.seed), metrics: metrics,
                samplesPerSecond: Statistic(values: runs.map(\.samplesPerSecond)))
        }
    }
}

extension ExperimentResult {
    /// The runs grouped by model name, models in the order they first appear, runs in their
    /// original order within each model.
    func runsByModel() -> [(model: String, runs: [RunResult])] {
        var order: [String] = []
        var groups: [String: [RunResult]] = [:]
        for run in runs {
            if groups[run.model] == nil { order.append(run.model) }
            groups[run.model, default: []].append(run)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }
}
