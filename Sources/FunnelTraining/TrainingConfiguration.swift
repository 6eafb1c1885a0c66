import Foundation
import FunnelModels
import FunnelNN

/// A training run, as `funnel train --config FILE` reads it (JSON; command-line flags override
/// fields). Unknown fields and wrong types are refused with the field's name.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The dataset folder.
    public var data: String
    public var trainSplit = "train"
    public var evaluationSplit = "test"
    public var model: ModelKind
    /// The model's own configuration (its `Configuration` as JSON); `nil`: its defaults.
    public var modelConfiguration: JSONValue?
    public var optimizer = OptimizerConfiguration()
    public var epochs = 1
    public var batchSize = 1024
    /// Evaluate the validation rows every this many steps (0: at the end of every epoch).
    public var evaluateEvery = 0
    /// The rows early stopping and model selection read (`nil`: none; the run keeps its last
    /// parameters and evaluates only at the end).
    public var validation: ValidationConfiguration?
    public var earlyStopping: EarlyStopping?
    /// Train with one backward pass per task of the objective, the per-task gradients combined
    /// by this rule (`nil`: one backward pass of the total).
    public var multiTaskUpdate: MultiTaskUpdateKind?
    /// PUB's settings when `multiTaskUpdate` is `pub` (`nil`: its defaults; fields left out
    /// keep theirs).
    public var pub: PUB.Configuration?
    public var seed: UInt64 = 0
    public var threads = 2
    /// Where checkpoints go (`nil`: none are written).
    public var checkpointDirectory: String?
    /// Write a checkpoint every this many steps (and at the end).
    public var checkpointEvery = 500
    /// The grouping column of GAUC (default: the dataset's user column).
    public var groupColumn: String?
    /// A truth column of a simulated dataset scored against the predictions (default: the
    /// column the dataset marks as the truth of the model's label, if any).
    public var truthColumn: String?
    /// After training and the evaluation, replay the evaluation split in time order, chunk by
    /// chunk — predict, score, then write the labels into ReLoop2's memory and learn
    /// (``ReplayConfiguration``; `nil`: no replay).
    public var replay: ReplayConfiguration?

    public init(data: String, model: ModelKind) {
        self.data = data
        self.model = model
    }

    /// Reads a configuration file strictly.
    public static func read(_ path: String) throws -> TrainingConfiguration {
        let data = try StrictJSON.readFile(path)
        do {
            return try decode(data)
        } catch let error as StrictJSON.Error {
            throw StrictJSON.Error(description: "\(path): \(error.description)")
        }
    }

    /// The most threads a run may ask for.
    public static let maximumThreads = 256

    /// Refuses impossible values and settings that contradict each other before any work,
    /// naming the field's path, its value and what was expected (`context` prefixes the paths:
    /// `training` in an experiment).
    public func validate(context: String = "") throws {
        func field(_ name: String) -> String { context.isEmpty ? name : "\(context).\(name)" }
        func refuse(_ name: String, _ message: String) -> StrictJSON.Error {
            StrictJSON.Error(description: "field '\(field(name))': \(message)")
        }
        if data.isEmpty { throw refuse("data", "'' is not a dataset folder (expected a path)") }
        if trainSplit.isEmpty { throw refuse("trainSplit", "'' is not a split name (expected a name such as 'train')") }
        if evaluationSplit.isEmpty { throw refuse("evaluationSplit", "'' is not a split name (expected a name such as 'test')") }
        guard epochs >= 1 else { throw refuse("epochs", "\(epochs); expected a number of epochs >= 1") }
        guard batchSize >= 1 else { throw refuse("batchSize", "\(batchSize); expected a batch size >= 1") }
        guard (1...Self.maximumThreads).contains(threads) else {
            throw refuse("threads", "\(threads); expected a number of threads in 1...\(Self.maximumThreads)")
        }
        guard checkpointEvery >= 1 else { throw refuse("checkpointEvery", "\(checkpointEvery); expected a number of steps >= 1") }
        guard evaluateEvery >= 0 else {
            throw refuse("evaluateEvery", "\(evaluateEvery); expected a number of steps >= 1, or 0 (at the end of every epoch)")
        }
        if let directory = checkpointDirectory, directory.isEmpty {
            throw refuse("checkpointDirectory", "'' is not a folder (expected a path, or leave the field out)")
        }
        if let groupColumn, groupColumn.isEmpty { throw refuse("groupColumn", "'' is not a column name") }
        if let truthColumn, truthColumn.isEmpty { throw refuse("truthColumn", "'' is not a column name") }
        try optimizer.validate(at: field("optimizer"))
        if let validation {
            if let split = validation.split {
                if split.isEmpty { throw refuse("validation.split", "'' is not a split name") }
                if split == trainSplit {
                    throw refuse("validation.split", "'\(split)' is the training split; carve rows with 'fraction' instead")
                }
                if split == evaluationSplit {
                    throw refuse("validation.split", "'\(split)' is the evaluation split (expected another split: model selection never reads the test rows)")
                }
            } else if !(validation.fraction > 0 && validation.fraction < 1) {
                throw refuse("validation.fraction", "\(validation.fraction); expected a share of the training rows in (0, 1)")
            }
        }
        if let earlyStopping {
            guard earlyStopping.patience >= 1 else {
                throw refuse("earlyStopping.patience", "\(earlyStopping.patience); expected a number of evaluations >= 1")
            }
            if let metric = earlyStopping.metric, metric.isEmpty {
                throw refuse("earlyStopping.metric", "'' is not a metric name (leave the field out for the primary metric)")
            }
        }
        if let pub {
            guard pub.updateFrequency >= 1 else {
                throw refuse("pub.updateFrequency", "\(pub.updateFrequency); expected a number of steps >= 1")
            }
            guard pub.maximumIterations >= 1 else {
                throw refuse("pub.maximumIterations", "\(pub.maximumIterations); expected a number of iterations >= 1")
            }
            guard pub.newtonIterations >= 0 else {
                throw refuse("pub.newtonIterations", "\(pub.newtonIterations); expected a number of iterations >= 0")
            }
            guard pub.tolerance > 0, pub.tolerance.isFinite else {
                throw refuse("pub.tolerance", "\(pub.tolerance); expected a positive tolerance")
            }
            guard pub.minimumWeight > 0, pub.minimumWeight.isFinite else {
                throw refuse("pub.minimumWeight", "\(pub.minimumWeight); expected a positive weight")
            }
            guard pub.maximumWeight >= pub.minimumWeight, pub.maximumWeight.isFinite else {
                throw refuse("pub.maximumWeight", "\(pub.maximumWeight); expected a finite weight >= minimumWeight (\(pub.minimumWeight))")
            }
            if multiTaskUpdate != .pub {
                throw refuse("pub", "PUB settings need \"multiTaskUpdate\": \"pub\"")
            }
        }
        try replay?.validate(context: field("replay"))
        if validation == nil, earlyStopping != nil {
            throw StrictJSON.Error(description: "field '\(field("earlyStopping"))': needs 'validation' (a split, or a fraction of the training split): early stopping never reads the evaluation split")
        }
        if validation == nil, evaluateEvery > 0 {
            throw StrictJSON.Error(description: "field '\(field("evaluateEvery"))': evaluations during training read the validation rows; set 'validation'")
        }
    }

    /// Decodes a configuration, defaults filling what the JSON leaves out.
    /// `context` prefixes the fields' paths (`training` in an experiment).
    public static func decode(_ data: Data, context: String = "") throws -> TrainingConfiguration {
        try StrictJSON.checkSyntax(data, context: context)
        let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        guard let object = parsed as? [String: Any] else {
            throw StrictJSON.Error(
                description: "\(context.isEmpty ? "the configuration" : "field '\(context)'"): expected a JSON object of training settings")
        }
        for required in ["data", "model"] where object[required] == nil {
            throw StrictJSON.Error(description: "field '\(context.isEmpty ? required : "\(context).\(required)")' is required")
        }
        // The defaults only fill what the input leaves out; the strict decoder still checks the
        // input's own "data" and "model" values.
        return try StrictJSON.decode(
            TrainingConfiguration.self, from: data, defaults: TrainingConfiguration(data: "", model: .logisticRegression),
            context: context)
    }
}

/// The multi-task rules of ``TrainingConfiguration/multiTaskUpdate``.
public enum MultiTaskUpdateKind: String, Codable, Sendable, CaseIterable, StrictEnum {
    /// The tasks' gradients summed (``SummedTaskUpdate``).
    case sum
    /// Parameter Update Balancing (``PUB``, multitask.md §3): needs Adam groups and shared
    /// parameters.
    case pub

    func make(pub configuration: PUB.Configuration? = nil) -> any MultiTaskUpdate {
        switch self {
        case .sum: SummedTaskUpdate()
        case .pub: PUB(configuration: configuration ?? PUB.Configuration())
        }
    }
}

/// Stop when a metric of the validation rows has not improved for `patience` evaluations.
public struct EarlyStopping: Codable, Sendable, Equatable {
    /// The metric watched (`nil`: the primary evaluation task's headline metric).
    public var metric: String?
    public var patience = 3
    public var higherIsBetter = true
    /// End with the parameters of the best evaluation (`false`: the last step's).
    public var restoreBest = true

    public init() {}

    /// Fields left out keep their defaults (the block is optional, so no default object is
    /// laid under it).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metric = try container.decodeIfPresent(String.self, forKey: .metric)
        patience = try container.decodeIfPresent(Int.self, forKey: .patience) ?? patience
        higherIsBetter = try container.decodeIfPresent(Bool.self, forKey: .higherIsBetter) ?? higherIsBetter
        restoreBest = try container.decodeIfPresent(Bool.self, forKey: .restoreBest) ?? restoreBest
    }
}

/// Any JSON value, kept as it was written (a model's configuration is decoded by the model).
public indirect enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value as JSON bytes.
    public var data: Data {
        (try? JSONEncoder().encode(self)) ?? Data("null".utf8)
    }
}
