import FunnelModels

/// A small hyper-parameter grid of one compared model, chosen on validation only
/// (`"grid": {"dimensions": [8, 16, 32], "l2": [0.0001, 0.001]}` on an experiment's model entry):
/// for every seed, every combination of the listed configuration values is trained; the one
/// with the best validation metric is kept and only its evaluation-split metrics are reported
/// (the report names each seed's choice). The validation metric is early stopping's (its best
/// value) or, without early stopping, the primary metric of the last validation; higher is
/// better unless early stopping says otherwise. Ties keep the earlier combination.
public struct ParameterGrid: Codable, Sendable, Equatable {
    /// Configuration field → the values to try.
    public var values: [String: [JSONValue]]

    public init(values: [String: [JSONValue]]) {
        self.values = values
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: [JSONValue]].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    /// The most combinations a grid may hold (each one is a full training run per seed).
    public static let maximumCombinations = 64

    /// Every combination, fields in name order, the last field varying fastest.
    public var combinations: [[String: JSONValue]] {
        values.keys.sorted().reduce([[:]]) { partial, field in
            partial.flatMap { combination in
                values[field]!.map { value in combination.merging([field: value]) { $1 } }
            }
        }
    }

    /// Refuses an empty grid, a field without values and a grid over the limit.
    func validate(context: String) throws {
        guard !values.isEmpty else {
            throw StrictJSON.Error(description: "field '\(context)': {} lists no field (expected e.g. {\"dimensions\": [8, 16]})")
        }
        for field in values.keys.sorted() where values[field]!.isEmpty {
            throw StrictJSON.Error(description: "field '\(context).\(field)': [] has no value to try")
        }
        let count = values.values.reduce(1) { $0 * $1.count }
        guard count <= Self.maximumCombinations else {
            throw StrictJSON.Error(description: "field '\(context)': \(count) combinations (at most \(Self.maximumCombinations): each trains once per seed)")
        }
    }

    /// `configuration` (an object, or `nil` for the defaults) with the combination's fields set.
    static func apply(_ combination: [String: JSONValue], to configuration: JSONValue?, context: String) throws -> JSONValue {
        var fields: [String: JSONValue] = [:]
        switch configuration {
        case nil: break
        case .object(let object): fields = object
        default:
            throw StrictJSON.Error(description: "field '\(context)': a grid needs the model's configuration to be an object")
        }
        fields.merge(combination) { $1 }
        return .object(fields)
    }

    /// Whether a candidate's validation value beats the best so far (a missing value, NaN,
    /// never does, and is beaten by any value).
    static func improves(_ value: Double, on current: Double, higherIsBetter: Bool) -> Bool {
        if current.isNaN { return !value.isNaN }
        return higherIsBetter ? value > current : value < current
    }

    /// "dimensions 16, l2 0.001".
    static func describe(_ combination: [String: JSONValue]) -> String {
        combination.keys.sorted().map { field in
            let value = combination[field]!
            let text = String(decoding: value.data, as: UTF8.self)
            return "\(field) \(text)"
        }.joined(separator: ", ")
    }
}
