import Foundation
import FunnelLanguage

/// A request's JSON object, read field by field with the field's path in every refusal.
struct RequestBody {
    let object: [String: Any]

    /// Parses `data` as a JSON object.
    /// - Throws: ``InvalidRequestError`` for text that is not a JSON object.
    init(data: Data) throws {
        guard let parsed = try? JSONSerialization.jsonObject(with: data) else {
            throw InvalidRequestError("the request body is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw InvalidRequestError("the request body is not a JSON object")
        }
        self.object = object
    }

    /// The required string `field`.
    func string(_ field: String) throws -> String {
        guard let value = object[field] else { throw InvalidRequestError("missing required field '\(field)'") }
        guard let text = value as? String else { throw InvalidRequestError("'\(field)' must be a string") }
        return text
    }

    /// `messages`: a non-empty array of `{role, content}` string pairs.
    func messages() throws -> [ChatMessage] {
        guard let value = object["messages"] else { throw InvalidRequestError("missing required field 'messages'") }
        guard let array = value as? [Any], !array.isEmpty else {
            throw InvalidRequestError("'messages' must be a non-empty array")
        }
        return try array.enumerated().map { index, element in
            guard let message = element as? [String: Any] else {
                throw InvalidRequestError("'messages[\(index)]' must be an object")
            }
            guard let role = message["role"] as? String else {
                throw InvalidRequestError("'messages[\(index)].role' must be a string")
            }
            guard let content = message["content"] as? String else {
                throw InvalidRequestError("'messages[\(index)].content' must be a string")
            }
            return ChatMessage(role: role, content: content)
        }
    }

    /// The optional number `field`.
    func number(_ field: String) throws -> Double? {
        guard let value = object[field], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber else {
            throw InvalidRequestError("'\(field)' must be a number")
        }
        return number.doubleValue
    }

    /// The optional non-negative integer `field`.
    func count(_ field: String) throws -> UInt64? {
        guard let value = try number(field) else { return nil }
        guard value >= 0, value == value.rounded(), value < 1.8e19 else {
            throw InvalidRequestError("'\(field)' must be a non-negative integer")
        }
        return UInt64(value)
    }

    /// The sampling fields: `temperature`, `top_p`, `max_tokens`, `stop` (a string or an array
    /// of strings) and `seed`; absent ones keep ``SamplingOptions``' defaults.
    func samplingOptions() throws -> SamplingOptions {
        var options = SamplingOptions()
        if let temperature = try number("temperature") {
            guard temperature >= 0 else { throw InvalidRequestError("'temperature' must be at least 0") }
            options.temperature = Float(temperature)
        }
        if let topP = try number("top_p") {
            guard topP > 0, topP <= 1 else { throw InvalidRequestError("'top_p' must be in (0, 1]") }
            options.topP = Float(topP)
        }
        if let maxTokens = try count("max_tokens") {
            guard maxTokens > 0, maxTokens <= 1 << 20 else { throw InvalidRequestError("'max_tokens' must be in 1...1048576") }
            options.maxTokens = Int(maxTokens)
        }
        if let seed = try count("seed") { options.seed = seed }
        switch object["stop"] {
        case nil, is NSNull: break
        case let stop as String: options.stopSequences = [stop]
        case let stops as [Any]:
            options.stopSequences = try stops.enumerated().map { index, element in
                guard let text = element as? String else { throw InvalidRequestError("'stop[\(index)]' must be a string") }
                return text
            }
        default: throw InvalidRequestError("'stop' must be a string or an array of strings")
        }
        return options
    }

    /// `response_format`: `{"type": "text"}`, `{"type": "json_schema", "json_schema": {"schema":
    /// {…}}}` or Funnel's extension `{"type": "regex", "pattern": "…"}`; absent: free text.
    func responseFormat() throws -> ResponseFormat {
        guard let value = object["response_format"], !(value is NSNull) else { return .text }
        guard let format = value as? [String: Any] else { throw InvalidRequestError("'response_format' must be an object") }
        guard let type = format["type"] as? String else { throw InvalidRequestError("'response_format.type' must be a string") }
        switch type {
        case "text": return .text
        case "regex":
            guard let pattern = format["pattern"] as? String else {
                throw InvalidRequestError("'response_format.pattern' must be a string")
            }
            return .pattern(pattern)
        case "json_schema":
            guard let wrapper = format["json_schema"] as? [String: Any] else {
                throw InvalidRequestError("'response_format.json_schema' must be an object")
            }
            guard let schema = wrapper["schema"], schema is [String: Any] || schema is Bool else {
                throw InvalidRequestError("'response_format.json_schema.schema' must be a JSON schema object")
            }
            let data = try JSONSerialization.data(withJSONObject: schema, options: [.fragmentsAllowed, .sortedKeys])
            return .jsonSchema(String(decoding: data, as: UTF8.self))
        default:
            throw InvalidRequestError("'response_format.type' must be 'text', 'json_schema' or 'regex', not \(type.debugDescription)")
        }
    }
}
