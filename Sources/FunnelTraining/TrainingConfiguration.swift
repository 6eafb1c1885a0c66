import Foundation
import FunnelModels

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
    /// Evaluate every this many steps (0: at the end of every epoch).
    public var evaluateEvery = 0
    public var earlyStopping: EarlyStopping?
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

/// Stop when a metric has not improved for `patience` evaluations.
public struct EarlyStopping: Codable, Sendable, Equatable {
    /// The metric watched (`nil`: the AUC of the model's primary evaluation task).
    public var metric: String?
    public var patience = 3
    public var higherIsBetter = true

    public init() {}
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
