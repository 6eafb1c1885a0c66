import Foundation
import FunnelMetrics
import FunnelModels

/// `funnel experiment --config FILE`: several models × several seeds on one dataset, each run
/// trained as `funnel train` would, with the results gathered for the report.
public struct ExperimentConfiguration: Codable, Sendable, Equatable {
    /// The training settings every run shares (its `model` and `seed` are replaced per run).
    public var training: TrainingConfiguration
    public var models: [ModelKind]
    /// Per model, its configuration (by registry name).
    public var modelConfigurations: [String: JSONValue] = [:]
    public var seeds: [UInt64] = [1, 2, 3]
    /// The metrics the table and charts show, in order (`nil`: every compared metric; the
    /// JSON keeps every metric of every run either way).
    public var metrics: [String]?
    /// Where the table, JSON, Markdown and charts go.
    public var output = "experiment"

    public static func read(_ path: String) throws -> ExperimentConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StrictJSON.Error(description: "\(path): cannot be read: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let training = object["training"], let models = object["models"] as? [String]
        else {
            return try StrictJSON.decode(ExperimentConfiguration.self, from: data, context: path)
        }
        let base = try TrainingConfiguration.decode(JSONSerialization.data(withJSONObject: training))
        let defaults = ExperimentConfiguration(training: base, models: models.compactMap(ModelKind.init))
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
        var datasetName = ""
        for model in configuration.models {
            for seed in configuration.seeds {
                var training = configuration.training
                training.model = model
                training.seed = seed
                training.checkpointDirectory = nil
                training.modelConfiguration = configuration.modelConfigurations[model.rawValue]
                log("training \(model.rawValue) with seed \(seed) …")
                let trainer = try Trainer(configuration: training)
                datasetName = trainer.dataset.schema.name
                let evaluation = try trainer.train()
                if protocolLines.isEmpty { protocolLines = evaluation.protocolDescription }
                for name in evaluation.metricOrder where !metricNames.contains(name) { metricNames.append(name) }
                runs.append(RunResult(
                    model: model.rawValue, seed: seed, metrics: evaluation.metrics, curve: trainer.state.curve,
                    roc: ExperimentReport.rocCurve(scores: evaluation.scores, labels: evaluation.labels),
                    samplesPerSecond: trainer.trainingSamplesPerSecond))
            }
        }
        if let selected = configuration.metrics {
            if let unknown = selected.first(where: { !metricNames.contains($0) }) {
                throw StrictJSON.Error(description: "field 'metrics': no run produced '\(unknown)' (known: \(metricNames.joined(separator: ", ")))")
            }
            metricNames = selected
        }
        protocolLines.append("\(configuration.models.count) models × \(configuration.seeds.count) seeds (\(configuration.seeds.map(String.init).joined(separator: ", "))); mean ± standard deviation over seeds; samples/s counts training steps only (\(configuration.training.threads) threads)")
        return ExperimentResult(dataset: datasetName, protocolDescription: protocolLines, metricNames: metricNames, runs: runs)
    }
}
