import Foundation
import FunnelData
import FunnelModels

/// `funnel curve --config FILE`: one experiment repeated on simulated worlds of growing size —
/// for every size and seed a world of its own (the seed draws the world and the models), every
/// model trained on it — so that each method's metrics are read against the amount of data
/// (issue 15: USD's effect as a learning curve), with paired differences to a reference model.
///
/// ```json
/// {"scenario": "homepage", "knobs": {"items": "2000"},
///  "sizes": [{"users": 5000, "days": 14}, {"users": 10000, "days": 14}],
///  "reference": "BASE", "keepWorlds": false,
///  "experiment": {"training": {…}, "models": […], "seeds": [1, 2, 3, 4, 5], "metrics": […],
///                 "output": "runs/curve"}}
/// ```
/// The experiment's `training.data` is replaced by each world's folder, its `seeds` are the
/// worlds' and models' seeds, and its `output` is where the report goes.
public struct LearningCurveConfiguration: Codable, Sendable, Equatable {
    /// One world size: users × days (the scenario's last days are the evaluation split).
    public struct Size: Codable, Sendable, Equatable, Hashable {
        public var users: Int
        public var days: Int

        public init(users: Int, days: Int) {
            self.users = users
            self.days = days
        }

        /// As the report names it: `20000 × 14`.
        public var label: String { "\(users) × \(days)" }
    }

    /// The simulated scenario (`funnel simulate`'s name) and its knob overrides.
    public var scenario: String
    public var knobs: [String: String] = [:]
    public var sizes: [Size]
    /// The model the differences are taken against (`nil`: the experiment's first).
    public var reference: String?
    /// Whether the simulated worlds stay in `<output>/worlds` (`false`: each is removed once
    /// its runs are done).
    public var keepWorlds = false
    public var experiment: ExperimentConfiguration

    /// Reads a curve file strictly (errors begin with the file's path and name the field).
    public static func read(_ path: String) throws -> LearningCurveConfiguration {
        let data = try StrictJSON.readFile(path)
        do {
            return try decode(data)
        } catch let error as StrictJSON.Error {
            throw StrictJSON.Error(description: "\(path): \(error.description)")
        }
    }

    /// Decodes and validates a curve configuration strictly, naming the field of any error.
    public static func decode(_ data: Data) throws -> LearningCurveConfiguration {
        try StrictJSON.checkSyntax(data)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw StrictJSON.Error(description: "expected a JSON object with 'scenario', 'sizes' and 'experiment'")
        }
        for required in ["scenario", "sizes", "experiment"] where object[required] == nil {
            throw StrictJSON.Error(description: "field '\(required)' is required")
        }
        guard let block = object["experiment"] as? [String: Any] else {
            throw StrictJSON.Error(description: "field 'experiment': expected an object (an experiment configuration)")
        }
        let experiment: ExperimentConfiguration
        do {
            experiment = try ExperimentConfiguration.decode(try JSONSerialization.data(withJSONObject: block))
        } catch let error as StrictJSON.Error {
            throw StrictJSON.Error(description: "experiment: \(error.description)")
        }
        var rest = object
        rest["experiment"] = nil
        let head = try StrictJSON.decode(
            Head.self, from: try JSONSerialization.data(withJSONObject: rest), defaults: Head(scenario: "", sizes: []))
        let configuration = LearningCurveConfiguration(
            scenario: head.scenario, knobs: head.knobs, sizes: head.sizes, reference: head.reference,
            keepWorlds: head.keepWorlds, experiment: experiment)
        try configuration.validate()
        return configuration
    }

    /// The fields beside the experiment, as the file holds them.
    private struct Head: Codable {
        var scenario: String
        var knobs: [String: String] = [:]
        var sizes: [Size]
        var reference: String?
        var keepWorlds = false
    }

    public init(
        scenario: String, knobs: [String: String] = [:], sizes: [Size], reference: String? = nil, keepWorlds: Bool = false,
        experiment: ExperimentConfiguration
    ) {
        self.scenario = scenario
        self.knobs = knobs
        self.sizes = sizes
        self.reference = reference
        self.keepWorlds = keepWorlds
        self.experiment = experiment
    }

    /// Refuses no sizes, a size without users or days, a repeated size and a reference that
    /// names no model, then the experiment's own errors.
    public func validate() throws {
        guard !sizes.isEmpty else { throw StrictJSON.Error(description: "field 'sizes': expected at least one size") }
        for (index, size) in sizes.enumerated() {
            guard size.users > 0, size.days > 0 else {
                throw StrictJSON.Error(description: "field 'sizes[\(index)]': expected positive users and days (found \(size.label))")
            }
            if sizes.firstIndex(of: size) != index {
                throw StrictJSON.Error(description: "field 'sizes[\(index)]': \(size.label) is listed twice")
            }
        }
        if let reference, !experiment.models.contains(where: { $0.name == reference }) {
            throw StrictJSON.Error(description: "field 'reference': '\(reference)' names no model of the experiment")
        }
        try experiment.validate()
    }

    /// The name differences are taken against.
    public var referenceModel: String { reference ?? experiment.models.first?.name ?? "" }
}

/// Runs a ``LearningCurveConfiguration``.
public enum LearningCurve {
    /// One size's runs, every model and seed (each seed on its own world).
    public struct Point: Codable, Sendable {
        public var size: LearningCurveConfiguration.Size
        /// Training rows of each seed's world, in seed order.
        public var trainingRows: [Int]
        public var result: ExperimentResult
    }

    /// The whole curve: its configuration and one point per size, in the configuration's order.
    public struct Result: Codable, Sendable {
        public var configuration: LearningCurveConfiguration
        public var points: [Point]
    }

    /// Simulates each size and seed with `simulate(size, seed, folder)` (which writes the world
    /// into `folder`, created before), runs the experiment on it with that seed alone, and gathers the runs.
    public static func run(
        _ configuration: LearningCurveConfiguration,
        simulate: (LearningCurveConfiguration.Size, UInt64, String) throws -> Void,
        log: (String) -> Void = { _ in }
    ) throws -> Result {
        try configuration.validate()
        var points: [Point] = []
        for size in configuration.sizes {
            var runs: [RunResult] = []
            var rows: [Int] = []
            var first: ExperimentResult?
            for seed in configuration.experiment.seeds {
                let folder = configuration.experiment.output + "/worlds/\(size.users)x\(size.days)-seed\(seed)"
                log("simulating \(size.label) with seed \(seed) → \(folder)")
                try AtomicFile.createDirectory(folder)
                try simulate(size, seed, folder)
                var experiment = configuration.experiment
                experiment.training.data = folder
                experiment.seeds = [seed]
                rows.append(try Dataset.load(folder).split("train").rowCount)
                let result = try ExperimentRunner.run(experiment) { log("\(size.label): \($0)") }
                for run in result.runs {
                    let shown = result.metricNames.prefix(3).map { "\($0) \(String(format: "%.4f", run.metrics[$0] ?? .nan))" }
                    log("\(size.label), seed \(seed), \(run.model): \(shown.joined(separator: ", "))")
                }
                first = first ?? result
                runs += result.runs
                if !configuration.keepWorlds { try? FileManager.default.removeItem(atPath: folder) }
            }
            guard var result = first else { continue }
            let seeds = configuration.experiment.seeds.map(String.init).joined(separator: ", ")
            result.protocolDescription = result.protocolDescription.dropLast() + [
                "\(configuration.experiment.models.count) models × \(configuration.experiment.seeds.count) seeds (\(seeds)), each seed drawing its own world and the models' initialisation; mean ± standard deviation over seeds; samples/s counts training steps only (\(configuration.experiment.training.threads) threads)"
            ]
            result.runs = configuration.experiment.models.flatMap { model in runs.filter { $0.model == model.name } }
            points.append(Point(size: size, trainingRows: rows, result: result))
        }
        return Result(configuration: configuration, points: points)
    }
}
