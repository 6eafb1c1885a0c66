import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels

/// `funnel experiment --config FILE`: several models × several seeds on one dataset, each run
/// trained as `funnel train` would, with the results gathered for the report.
public struct ExperimentConfiguration: Codable, Sendable, Equatable {
    /// The training settings every run shares (its `model` and `seed` are replaced per run).
    public var training: TrainingConfiguration
    /// The models compared: registry names, or named variants with their own configuration and
    /// training settings (`{"name": "USD -w/o D", "model": "usd", "configuration": {…}}`,
    /// `{"name": "MMoE + PUB", "model": "mmoe", "training": {"multiTaskUpdate": "pub"}}`).
    public var models: [ExperimentModel]
    /// Per model name, its configuration (for entries that do not carry their own).
    public var modelConfigurations: [String: JSONValue] = [:]
    public var seeds: [UInt64] = [1, 2, 3]
    /// The metrics the table and charts show, in order (`nil`: every compared metric; the
    /// JSON keeps every metric of every run either way).
    public var metrics: [String]?
    /// Where the table, JSON, Markdown and charts go.
    public var output = "experiment"

    public init(training: TrainingConfiguration, models: [ExperimentModel]) {
        self.training = training
        self.models = models
    }

    /// Reads an experiment file strictly (errors begin with the file's path).
    public static func read(_ path: String) throws -> ExperimentConfiguration {
        let data = try StrictJSON.readFile(path)
        do {
            return try decode(data)
        } catch let error as StrictJSON.Error {
            throw StrictJSON.Error(description: "\(path): \(error.description)")
        }
    }

    /// Decodes an experiment strictly: the training block over the training defaults, the
    /// rest over the experiment's.
    public static func decode(_ data: Data) throws -> ExperimentConfiguration {
        try StrictJSON.checkSyntax(data)
        guard let object = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any] else {
            throw StrictJSON.Error(description: "the configuration: expected a JSON object with 'training' and 'models'")
        }
        for required in ["training", "models"] where object[required] == nil {
            throw StrictJSON.Error(description: "field '\(required)' is required")
        }
        let training = try JSONSerialization.data(withJSONObject: object["training"]!, options: [.fragmentsAllowed])
        let base = try TrainingConfiguration.decode(training, context: "training")
        let defaults = ExperimentConfiguration(training: base, models: [])
        return try StrictJSON.decode(ExperimentConfiguration.self, from: data, defaults: defaults)
    }

    /// Refuses what needs no dataset to be judged, before any run: no models or seeds, two
    /// models under one name, a repeated seed, an empty or repeated metric, the training block's
    /// own errors (as `training.epochs`).
    public func validate() throws {
        func refuse(_ field: String, _ message: String) -> StrictJSON.Error {
            StrictJSON.Error(description: "field '\(field)': \(message)")
        }
        try training.validate(context: "training")
        guard !models.isEmpty else { throw refuse("models", "[] has no model (expected at least one registry name or model object)") }
        guard !seeds.isEmpty else { throw refuse("seeds", "[] has no seed (expected at least one, as [1, 2, 3])") }
        for (index, model) in models.enumerated() {
            if model.name.isEmpty { throw refuse("models[\(index)].name", "'' is not a name (expected a name for tables)") }
            if let first = models.firstIndex(where: { $0.name == model.name }), first != index {
                throw refuse(
                    "models[\(index)].name",
                    "'\(model.name)' already names models[\(first)] (expected a distinct name per compared model: give each variant its own \"name\")")
            }
        }
        for (index, seed) in seeds.enumerated() {
            if let first = seeds.firstIndex(of: seed), first != index {
                throw refuse("seeds[\(index)]", "\(seed) repeats seeds[\(first)] (expected distinct seeds)")
            }
        }
        if let metrics {
            guard !metrics.isEmpty else { throw refuse("metrics", "[] shows no metric (expected names, or leave the field out for all)") }
            for (index, metric) in metrics.enumerated() {
                if let first = metrics.firstIndex(of: metric), first != index {
                    throw refuse("metrics[\(index)]", "'\(metric)' repeats metrics[\(first)]")
                }
            }
        }
        if output.isEmpty { throw refuse("output", "'' is not a folder (expected a path)") }
        for index in models.indices {
            let settings = try trainingSettings(of: index)
            guard let grid = models[index].grid else { continue }
            try grid.validate(context: "models[\(index)].grid")
            if settings.validation == nil {
                throw refuse("models[\(index)].grid", "a grid is chosen on validation rows only; set 'validation' (a split, or a fraction of training)")
            }
        }
        for name in modelConfigurations.keys.sorted() where !models.contains(where: { $0.name == name }) {
            throw refuse("modelConfigurations.\(name)", "no compared model is named '\(name)' (models: \(models.map(\.name).joined(separator: ", ")))")
        }
    }

    /// The training settings of `models[index]`: its `training` fields over the experiment's,
    /// checked as a training block (`models[1].training.optimizer.learningRate`).
    public func trainingSettings(of index: Int) throws -> TrainingConfiguration {
        guard let override = models[index].training else { return training }
        let context = "models[\(index)].training"
        guard case .object(let fields) = override else {
            throw StrictJSON.Error(description: "field '\(context)': expected an object of training settings (as {\"multiTaskUpdate\": \"pub\"})")
        }
        for field in ["data", "model", "seed"] where fields[field] != nil {
            throw StrictJSON.Error(description: "field '\(context).\(field)': set by the experiment for every run (the dataset is loaded once; 'model' and 'seeds' belong to the model entry and the experiment)")
        }
        let settings = try StrictJSON.decode(TrainingConfiguration.self, from: override.data, defaults: training, context: context)
        try settings.validate(context: context)
        return settings
    }

    /// The training configuration of one run.
    public func run(_ model: ExperimentModel, seed: UInt64) throws -> TrainingConfiguration {
        let index = models.firstIndex { $0.name == model.name }
        var training = try index.map(trainingSettings(of:)) ?? training
        training.model = model.model
        training.seed = seed
        training.checkpointDirectory = nil
        training.modelConfiguration = model.configuration ?? modelConfigurations[model.name]
        return training
    }

    /// The runs one seed of a model trains: one, or one per combination of its grid (with the
    /// combination; ``ParameterGrid``).
    public func candidates(_ model: ExperimentModel, seed: UInt64) throws -> [(combination: [String: JSONValue], training: TrainingConfiguration)] {
        let training = try run(model, seed: seed)
        guard let grid = model.grid else { return [([:], training)] }
        let index = models.firstIndex { $0.name == model.name } ?? 0
        return try grid.combinations.map { combination in
            var candidate = training
            candidate.modelConfiguration = try ParameterGrid.apply(combination, to: training.modelConfiguration, context: "models[\(index)].configuration")
            return (combination, candidate)
        }
    }
}

public enum ExperimentRunner {
    /// Every run's configuration checked before the first run trains: each model is built
    /// (with the first seed) as its runs would build it — model configuration, data
    /// requirements, validation rows, optimizer groups — and `metrics` must name metrics that
    /// some model's evaluation produces.
    public static func check(_ configuration: ExperimentConfiguration, dataset: Dataset) throws {
        var produced: [String] = []
        for (index, model) in configuration.models.enumerated() {
            for candidate in try configuration.candidates(model, seed: configuration.seeds[0]) {
                let trainer: Trainer
                do {
                    trainer = try Trainer(configuration: candidate.training, dataset: dataset)
                } catch {
                    let grid = candidate.combination.isEmpty ? "" : " with grid values \(ParameterGrid.describe(candidate.combination))"
                    throw StrictJSON.Error(description: "models[\(index)] ('\(model.name)')\(grid): \(error)")
                }
                for name in trainer.metricNames.compared where !produced.contains(name) { produced.append(name) }
            }
        }
        for (index, metric) in (configuration.metrics ?? []).enumerated() where !produced.contains(metric) {
            throw StrictJSON.Error(
                description: "field 'metrics[\(index)]': no model's evaluation produces '\(metric)' (expected one of: \(produced.joined(separator: ", ")))")
        }
    }

    /// Trains every model with every seed and returns the results (in model, then seed order).
    public static func run(_ configuration: ExperimentConfiguration, log: (String) -> Void = { _ in }) throws -> ExperimentResult {
        var runs: [RunResult] = []
        var protocolLines: [String] = []
        var metricNames: [String] = []
        try configuration.validate()
        let dataset = try Dataset.load(configuration.training.data)
        try check(configuration, dataset: dataset)
        var choices: [String] = []
        for model in configuration.models {
            var chosen: [String] = []
            for seed in configuration.seeds {
                var best: (trainer: Trainer, evaluation: Evaluation, value: Double, combination: [String: JSONValue])?
                for candidate in try configuration.candidates(model, seed: seed) {
                    let grid = candidate.combination.isEmpty ? "" : " (\(ParameterGrid.describe(candidate.combination)))"
                    log("training \(model.name) with seed \(seed)\(grid) …")
                    let trainer = try Trainer(configuration: candidate.training, dataset: dataset)
                    let evaluation = try trainer.train()
                    let higherIsBetter = candidate.training.earlyStopping?.higherIsBetter ?? true
                    let value = trainer.selectionValue ?? .nan
                    if let current = best, !ParameterGrid.improves(value, on: current.value, higherIsBetter: higherIsBetter) { continue }
                    best = (trainer, evaluation, value, candidate.combination)
                }
                guard let (trainer, evaluation, _, combination) = best else { continue }
                if model.grid != nil { chosen.append("seed \(seed): \(ParameterGrid.describe(combination))") }
                if protocolLines.isEmpty { protocolLines = evaluation.protocolDescription }
                for name in evaluation.metricOrder where !metricNames.contains(name) { metricNames.append(name) }
                var run = RunResult(
                    model: model.name, seed: seed, metrics: evaluation.metrics, curve: trainer.state.curve,
                    roc: evaluation.primaryTask.scoresBinaryLabel
                        ? ExperimentReport.rocCurve(scores: evaluation.scores, labels: evaluation.labels) : [],
                    samplesPerSecond: trainer.trainingSamplesPerSecond)
                run.trainingLogMeans = trainer.logMeans
                runs.append(run)
            }
            if !chosen.isEmpty { choices.append("grid of \(model.name), chosen on validation: \(chosen.joined(separator: "; "))") }
        }
        if let selected = configuration.metrics {
            if let unknown = selected.first(where: { !metricNames.contains($0) }) {
                throw StrictJSON.Error(description: "field 'metrics': no run produced '\(unknown)' (known: \(metricNames.joined(separator: ", ")))")
            }
            metricNames = selected
        }
        protocolLines += choices
        protocolLines.append("\(configuration.models.count) models × \(configuration.seeds.count) seeds (\(configuration.seeds.map(String.init).joined(separator: ", "))); mean ± standard deviation over seeds; samples/s counts training steps only (\(configuration.training.threads) threads)")
        return ExperimentResult(dataset: dataset.schema.name, protocolDescription: protocolLines, metricNames: metricNames, runs: runs)
    }
}

/// One compared model: a registry kind under a display name, with its configuration.
public struct ExperimentModel: Codable, Sendable, Equatable {
    /// The name tables show (default: the registry name).
    public var name: String
    public var model: ModelKind
    /// The model's configuration (`nil`: `modelConfigurations[name]`, else the defaults).
    public var configuration: JSONValue?
    /// Training settings of this model's runs, over the experiment's `training` block (objects
    /// merge field by field), so that one experiment compares e.g. Adam with PUB
    /// (`{"multiTaskUpdate": "pub"}`) or two learning rates. `data`, `model` and `seed` are refused.
    public var training: JSONValue?
    /// Configuration values to choose among on validation, per seed (``ParameterGrid``).
    public var grid: ParameterGrid?

    public init(name: String? = nil, model: ModelKind, configuration: JSONValue? = nil, training: JSONValue? = nil, grid: ParameterGrid? = nil) {
        self.name = name ?? model.rawValue
        self.model = model
        self.configuration = configuration
        self.training = training
        self.grid = grid
    }

    private enum CodingKeys: String, CodingKey {
        case name, model, configuration, training, grid
    }

    /// A registry name alone, or an object with `model` and optionally `name` and `configuration`.
    public init(from decoder: any Decoder) throws {
        if let kind = try? decoder.singleValueContainer().decode(ModelKind.self) {
            self.init(model: kind)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let model = try container.decode(ModelKind.self, forKey: .model)
        self.init(
            name: try container.decodeIfPresent(String.self, forKey: .name), model: model,
            configuration: try container.decodeIfPresent(JSONValue.self, forKey: .configuration),
            training: try container.decodeIfPresent(JSONValue.self, forKey: .training),
            grid: try container.decodeIfPresent(ParameterGrid.self, forKey: .grid))
    }
}
