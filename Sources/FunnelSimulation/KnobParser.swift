import Foundation

/// Applies `name=value` overrides to a scenario's knobs: each value is read with the type of the
/// knob's default, and an unknown name or an unreadable value is refused with the knob's name.
public enum KnobParser {
    public struct KnobError: Error, CustomStringConvertible {
        public var description: String
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "knob '\(context.codingPath.map(\.stringValue).joined(separator: "."))': expected \(type)"
        case .dataCorrupted(let context):
            return "knob '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        case .keyNotFound(let key, _):
            return "knob '\(key.stringValue)' is missing"
        @unknown default:
            return "\(error)"
        }
    }

    public static func apply<Knobs: Codable>(_ overrides: [String: String], to defaults: Knobs) throws -> Knobs {
        guard !overrides.isEmpty else { return defaults }
        let data = try JSONEncoder().encode(defaults)
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw KnobError(description: "knobs are not a JSON object")
        }
        for (name, text) in overrides.sorted(by: { $0.key < $1.key }) {
            guard object[name] != nil else {
                throw KnobError(description: "unknown knob '\(name)' (knobs: \(object.keys.sorted().joined(separator: ", ")))")
            }
            // The text decides the JSON type; decoding then checks it against the knob's type.
            if let value = Bool(text) {
                object[name] = value
            } else if let value = Int(text) {
                object[name] = value
            } else if let value = Double(text), value.isFinite {
                object[name] = value
            } else {
                throw KnobError(description: "knob '\(name)': expected a number or true/false, found '\(text)'")
            }
        }
        do {
            return try JSONDecoder().decode(Knobs.self, from: JSONSerialization.data(withJSONObject: object))
        } catch {
            throw KnobError(description: "knobs: \((error as? DecodingError).map(Self.describe) ?? "\(error)")")
        }
    }
}
