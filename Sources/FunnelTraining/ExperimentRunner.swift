import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels

/// `funnel experiment --config FILE`: several models × several seeds on one dataset, each run
/// trained as `funnel train` would, with the results gathered for the report.
public struct ExperimentConfiguration: Codable, Sendable, Equatable {
    /// The training settings every run shares (its `model` and `seed` are replaced per run).
    public var training: TrainingConfiguration
    /// The models compared: registry names, or named variants with their own configuration
    /// (`{"name": "USD -w/o D", "model": "usd", "configuration": {…}}`).
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

    public static func read(_ path: String) throws -> ExperimentConfiguration {
        let data = try StrictJSON.readFile(path)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let training = object["training"], object["models"] is [Any]
        else {
            return try StrictJSON.decode(ExperimentConfiguration.self, from: data, context: path)
        }
        let base = try TrainingConfiguration.decode(JSONSerialization.data(withJSONObject: training))
        let defaults = ExperimentConfiguration(training: base, models: [])
        do {
            return try StrictJSON.decode(ExperimentConfiguration.self, from: data, defaults: defaults)
        } catch let error as StrictJSON.Error {
            throw StrictJSON.Error(description: "\(path): \(error.description)")
        }
    }
}

public enum ExperimentRunner {
    /// Trains every model with every seed and returns the results (in model, then seed order).
    public static func run(_ configuration: ExperimentConfiguration, log: (String) -> Void = { _ in }) throws -> ExperimentResult {
        var runs: [RunResult] = []
        var protocolLines: [String] = []
        var metricNames: [String] = []
        let dataset = try Dataset.load(configuration.training.data)
        for model in configuration.models {
            for seed in configuration.seeds {
                var training = configuration.training
                training.model = model.model
                training.seed = seed
                training.checkpointDirectory = nil
                training.modelConfiguration = model.configuration ?? configuration.modelConfigurations[model.name]
                log("training \(model.name) with seed \(seed) …")
                let trainer = try Trainer(configuration: training, dataset: dataset)
                let evaluation = try trainer.train()
                if protocolLines.isEmpty { protocolLines = evaluation.protocolDescription }
                for name in evaluation.metricOrder where !metricNames.contains(name) { metricNames.append(name) }
                var run = RunResult(
                    model: model.name, seed: seed, metrics: evaluation.metrics, curve: trainer.state.curve,
                    roc: evaluation.primaryTask.kind == .binary
                        ? ExperimentReport.rocCurve(scores: evaluation.scores, labels: evaluation.labels) : [],
                    samplesPerSecond: trainer.trainingSamplesPerSecond)
                run.trainingLogMeans = trainer.logMeans
                runs.append(run)
            }
        }
        if let selected = configuration.metrics {
            if let unknown = selected.first(where: { !metricNames.contains($0) }) {
                throw StrictJSON.Error(description: "field 'metrics': no run produced '\(unknown)' (known: \(metricNames.joined(separator: ", ")))")
            }
            metricNames = selected
        }
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

    public init(name: String? = nil, model: ModelKind, configuration: JSONValue? = nil) {
        self.name = name ?? model.rawValue
        self.model = model
        self.configuration = configuration
    }

    private enum CodingKeys: String, CodingKey {
        case name, model, configuration
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
            configuration: try container.decodeIfPresent(JSONValue.self, forKey: .configuration))
    }
}
