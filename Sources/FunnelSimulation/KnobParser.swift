import Foundation

/// Applies `name=value` overrides to a scenario's knobs: each value is read with the type of the
/// knob's default, and an unknown name or an unreadable value is refused with the knob's name.
/// Knobs inside a group (a nested struct, such as ``DriftKnobs``) are named by their own names.
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
        // A knob group (a nested object, such as the shared `drift` knobs) is not a knob itself:
        // its knobs are named by their own names.
        let groups = object.keys.sorted().filter { object[$0] is [String: Any] }
        for (name, text) in overrides.sorted(by: { $0.key < $1.key }) {
            // The text decides the JSON type; decoding then checks it against the knob's type.
            let value: Any
            if let flag = Bool(text) {
                value = flag
            } else if let integer = Int(text) {
                value = integer
            } else if let number = Double(text), number.isFinite {
                value = number
            } else {
                throw KnobError(description: "knob '\(name)': expected a number or true/false, found '\(text)'")
            }
            if object[name] != nil, !groups.contains(name) {
                object[name] = value
            } else if let group = groups.first(where: { (object[$0] as? [String: Any])?[name] != nil }),
                var members = object[group] as? [String: Any]
            {
                members[name] = value
                object[group] = members
            } else {
                let names = object.keys.filter { !groups.contains($0) }
                    + groups.flatMap { ((object[$0] as? [String: Any]) ?? [:]).keys }
                throw KnobError(description: "unknown knob '\(name)' (knobs: \(names.sorted().joined(separator: ", ")))")
            }
        }
        do {
            return try JSONDecoder().decode(Knobs.self, from: JSONSerialization.data(withJSONObject: object))
        } catch {
            throw KnobError(description: "knobs: \((error as? DecodingError).map(Self.describe) ?? "\(error)")")
        }
    }
}
