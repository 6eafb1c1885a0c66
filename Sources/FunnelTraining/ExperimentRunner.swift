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
                let start = Date()
                let evaluation = try trainer.train()
                let seconds = Date().timeIntervalSince(start)
                let samples = Double(trainer.state.step * training.batchSize)
                if protocolLines.isEmpty { protocolLines = evaluation.protocolDescription }
                for name in evaluation.metrics.keys.sorted() where !metricNames.contains(name) { metricNames.append(name) }
                runs.append(RunResult(
                    model: model.rawValue, seed: seed, metrics: evaluation.metrics, curve: trainer.state.curve,
                    roc: ExperimentReport.rocCurve(scores: evaluation.scores, labels: evaluation.labels),
                    samplesPerSecond: samples / Swift.max(seconds, 1e-9)))
            }
        }
        let preferred = ["auc", "gauc_avg", "gauc_show", "gauc_click", "logloss", "truth_auc", "truth_logloss", "truth_correlation"]
        // Counts (rows, positives, groups) belong to the protocol lines, not to the compared metrics.
        let counts: Set<String> = ["rows", "positives", "groups_used", "groups_dropped", "rows_in_dropped_groups"]
        metricNames = preferred.filter(metricNames.contains) + metricNames.filter { !preferred.contains($0) && !counts.contains($0) }
        protocolLines.append("\(configuration.models.count) models × \(configuration.seeds.count) seeds (\(configuration.seeds.map(String.init).joined(separator: ", "))); mean ± standard deviation over seeds")
        return ExperimentResult(dataset: datasetName, protocolDescription: protocolLines, metricNames: metricNames, runs: runs)
    }
}
