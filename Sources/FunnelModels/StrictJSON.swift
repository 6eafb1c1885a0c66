import Foundation

/// JSON decoding that refuses what `JSONDecoder` silently ignores: a key the type does not
/// know. Wrong types and missing fields are reported with the field's path.
public enum StrictJSON {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Decodes `type`, then re-encodes it and compares: any key of the input that the decoded
    /// value does not carry is unknown (a misspelt field would otherwise fall back to its
    /// default without a word).
    ///
    /// With `defaults`, fields the input leaves out take the default's values (the input is laid
    /// over the default, object by object), so a configuration names only what it changes.
    public static func decode<Value: Codable>(
        _ type: Value.Type, from data: Data, defaults: Value? = nil, context: String = ""
    ) throws -> Value {
        let input: Any
        do {
            input = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw Error(description: "\(context.isEmpty ? "the configuration" : "'\(context)'") is not valid JSON: \(error.localizedDescription)")
        }
        var merged = input
        if let defaults {
            merged = overlay(input, on: try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)))
        }
        let value: Value
        do {
            value = try JSONDecoder().decode(type, from: JSONSerialization.data(withJSONObject: merged, options: [.fragmentsAllowed]))
        } catch let error as DecodingError {
            throw Error(description: describe(error, context: context))
        }
        let known = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        if let unknown = firstUnknownKey(input, known, path: context) {
            throw Error(description: "unknown field '\(unknown)'")
        }
        return value
    }

    private static func overlay(_ input: Any, on base: Any) -> Any {
        guard let input = input as? [String: Any], var base = base as? [String: Any] else { return input }
        for (key, value) in input {
            base[key] = base[key].map { overlay(value, on: $0) } ?? value
        }
        return base
    }

    private static func firstUnknownKey(_ input: Any, _ known: Any, path: String) -> String? {
        if let input = input as? [String: Any] {
            let known = known as? [String: Any] ?? [:]
            for key in input.keys.sorted() {
                let child = path.isEmpty ? key : "\(path).\(key)"
                guard let knownValue = known[key] else {
                    if input[key] is NSNull { continue }
                    return child
                }
                if let found = firstUnknownKey(input[key]!, knownValue, path: child) { return found }
            }
        } else if let input = input as? [Any], let known = known as? [Any] {
            for (index, element) in input.enumerated() where index < known.count {
                if let found = firstUnknownKey(element, known[index], path: "\(path)[\(index)]") { return found }
            }
        }
        return nil
    }

    private static func describe(_ error: DecodingError, context: String) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let parts = (context.isEmpty ? [] : [context]) + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let detail):
            return "field '\(path(detail.codingPath))': expected \(type)"
        case .valueNotFound(let type, let detail):
            return "field '\(path(detail.codingPath))': expected \(type), found null"
        case .keyNotFound(let key, let detail):
            return "field '\(path(detail.codingPath + [key]))' is required"
        case .dataCorrupted(let detail):
            return "field '\(path(detail.codingPath))': \(detail.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
