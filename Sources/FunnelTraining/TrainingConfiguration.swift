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

    public init(data: String, model: ModelKind) {
        self.data = data
        self.model = model
    }

    /// Reads a configuration file strictly.
    public static func read(_ path: String) throws -> TrainingConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StrictJSON.Error(description: "\(path): cannot be read: \(error.localizedDescription)")
        }
        do {
            return try decode(data)
        } catch let error as StrictJSON.Error {
            throw StrictJSON.Error(description: "\(path): \(error.description)")
        }
    }

    /// Refuses settings that contradict each other, naming the field.
    public func validate() throws {
        if validation == nil, earlyStopping != nil {
            throw StrictJSON.Error(description: "field 'earlyStopping': needs 'validation' (a split, or a fraction of the training split): early stopping never reads the evaluation split")
        }
        if validation == nil, evaluateEvery > 0 {
            throw StrictJSON.Error(description: "field 'evaluateEvery': evaluations during training read the validation rows; set 'validation'")
        }
    }

    /// Decodes a configuration, defaults filling what the JSON leaves out.
    public static func decode(_ data: Data) throws -> TrainingConfiguration {
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        for required in ["data", "model"] where object != nil && object?[required] == nil {
            throw StrictJSON.Error(description: "field '\(required)' is required")
        }
        // The defaults only fill what the input leaves out; the strict decoder still checks the
        // input's own "data" and "model" values.
        return try StrictJSON.decode(
            TrainingConfiguration.self, from: data, defaults: TrainingConfiguration(data: "", model: .logisticRegression))
    }
}

/// The multi-task rules of ``TrainingConfiguration/multiTaskUpdate``.
public enum MultiTaskUpdateKind: String, Codable, Sendable, CaseIterable {
    /// The tasks' gradients summed (``SummedTaskUpdate``).
    case sum

    func make() -> any MultiTaskUpdate {
        switch self {
        case .sum: SummedTaskUpdate()
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
