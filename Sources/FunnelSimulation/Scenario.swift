import Foundation
import FunnelData
import FunnelTensor

/// A simulated world that knows its ground truth.
///
/// A scenario draws users, items and behaviour from a seed and knobs, and returns a dataset
/// whose `truth`-role columns hold what real logs never show (the probability of an
/// interest-driven click, the attention propensity, the true conversion probability, …).
/// The same seed and knobs give the same bytes.
public protocol Scenario {
    /// The scenario's knobs, each with a documented default (see the type's documentation).
    associatedtype Knobs: Codable, Sendable, Equatable

    /// Simulates `users` users over `days` days; the last `knobs`-defined days form the
    /// evaluation split `test`, the others `train`.
    static func simulate(users: Int, days: Int, seed: UInt64, knobs: Knobs) throws -> SimulatedWorld
}

/// A simulated dataset, in memory, ready to be written.
public struct SimulatedWorld {
    public var schema: DatasetSchema
    public var splits: [String: Table]
    public var sideTables: [String: Table]
    /// A world that writes its own folder (a sequence dataset with truth files beside it), with
    /// what `funnel simulate` prints about it.
    private var writer: ((String) throws -> Dataset)?
    private var writerSummary: (text: String, rows: Int)?

    public init(schema: DatasetSchema, splits: [String: Table], sideTables: [String: Table] = [:]) {
        self.schema = schema
        self.splits = splits
        self.sideTables = sideTables
    }

    /// A world written by `writer` (into a directory that exists), described by `summary`.
    public init(summary: String, rowCount: Int, writer: @escaping (String) throws -> Dataset) {
        self.init(schema: DatasetSchema(name: "", tables: [:], columns: []), splits: [:])
        self.writer = writer
        writerSummary = (summary, rowCount)
    }

    /// Writes the canonical dataset folder (`schema.json` and the binary cache) to `directory`.
    /// - Returns: the dataset as written.
    @discardableResult
    public func write(to directory: String) throws -> Dataset {
        if let writer { return try writer(directory) }
        let dataset = try Dataset.inMemory(directory: directory, schema: schema, splits: splits, sideTables: sideTables)
        try dataset.write(to: directory)
        return dataset
    }

    /// The number of exposure (or interaction) rows over all splits.
    public var exposureCount: Int {
        writerSummary?.rows ?? splits.values.reduce(0) { $0 + $1.rowCount }
    }

    /// One line on what was simulated: the rows of each split.
    public var summary: String {
        writerSummary?.text ?? "\(exposureCount) exposures (\(splits.map { "\($0.key) \($0.value.rowCount)" }.sorted().joined(separator: ", ")))"
    }
}

/// The scenarios, by name (what `funnel simulate SCENARIO` accepts).
public enum ScenarioKind: String, CaseIterable, Sendable, Codable {
    case homepage
    case funnel
    case watchtime
    case sequential

    /// Simulates with the default knobs, overridden by the given JSON object (unknown keys and
    /// wrong types are refused with the field's name).
    public func simulate(users: Int, days: Int, seed: UInt64, knobs: [String: String] = [:]) throws -> SimulatedWorld {
        switch self {
        case .homepage:
            return try HomepageScenario.simulate(
                users: users, days: days, seed: seed, knobs: KnobParser.apply(knobs, to: HomepageScenario.Knobs()))
        case .funnel:
            return try FunnelScenario.simulate(
                users: users, days: days, seed: seed, knobs: KnobParser.apply(knobs, to: FunnelScenario.Knobs()))
        case .watchtime:
            return try WatchTimeScenario.simulate(
                users: users, days: days, seed: seed, knobs: KnobParser.apply(knobs, to: WatchTimeScenario.Knobs()))
        case .sequential:
            // Each user's sequence spans its own sessions and breaks: days do not apply.
            return try SequentialScenario.simulate(users: users, seed: seed, knobs: SequentialWorld.Knobs(overrides: knobs))
        }
    }

    /// Named sets of knob overrides (`funnel simulate --preset NAME`): the homepage's
    /// `first-worlds`, the knobs of the worlds before issue 15 (``HomepageScenario/firstWorlds``).
    public var presets: [String: [String: String]] {
        self == .homepage ? ["first-worlds": HomepageScenario.firstWorlds] : [:]
    }

    /// Every knob with its default value and documentation, for `--help` and reports.
    public var knobDocumentation: [(name: String, value: String, rationale: String)] {
        switch self {
        case .homepage: return HomepageScenario.Knobs.documentation
        case .funnel: return FunnelScenario.Knobs.documentation
        case .watchtime: return WatchTimeScenario.Knobs.documentation
        case .sequential: return SequentialWorld.Knobs.documentation
        }
    }
}

extension ScenarioKind {
    /// Simulates the world, writes it to `directory` (created if missing) and loads it back, as
    /// `funnel simulate` leaves it on disk: the world a model's `ModelFixture` names, in the
    /// model-zoo test and in `funnel models --bench`.
    public func simulatedDataset(users: Int, days: Int, seed: UInt64, directory: String) throws -> Dataset {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try simulate(users: users, days: days, seed: seed).write(to: directory)
        return try Dataset.load(directory)
    }
}
