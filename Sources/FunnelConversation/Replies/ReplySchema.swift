import Foundation

/// The JSON object a simulator, rewriter or judge role must reply with (conversational.md §2.3:
/// `{reason, policy}`, `{response}`, `{reason, rating}`; §3 stage 3: `{reason, refinement}`):
/// its fields in order, each text (bounded length), an integer range or a choice. It gives the
/// JSON schema the backend constrains decoding with, and validates a reply field by field.
public struct ReplySchema: Sendable, Equatable {
    /// What one field holds.
    public enum Kind: Sendable, Equatable {
        /// A string of 1 to `maximumLength` characters.
        case text(maximumLength: Int)
        /// An integer in the range.
        case integer(ClosedRange<Int>)
        /// One of these strings.
        case choice([String])
    }

    /// One field, in the order the reply writes them.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        public init(_ name: String, _ kind: Kind) {
            self.name = name
            self.kind = kind
        }
    }

    /// The fields, in order.
    public var fields: [Field]

    public init(_ fields: [Field]) {
        self.fields = fields
    }

    /// The JSON schema text (``FunnelLanguage/ResponseFormat/jsonSchema(_:)``): an object with
    /// every field required, in order, and no other property.
    public var jsonSchema: String {
        var properties: [String: Any] = [:]
        for field in fields {
            switch field.kind {
            case .text(let maximumLength):
                properties[field.name] = ["type": "string", "minLength": 1, "maxLength": maximumLength]
            case .integer(let range):
                properties[field.name] = ["type": "integer", "minimum": range.lowerBound, "maximum": range.upperBound]
            case .choice(let values):
                properties[field.name] = ["enum": values]
            }
        }
        let schema: [String: Any] = [
            "type": "object", "properties": properties, "required": fields.map(\.name),
            "additionalProperties": false,
        ]
        let data = try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys])
        return data.flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    /// Enough tokens for any reply the schema admits, so a reply is never cut before its JSON
    /// closes: a text character takes at most 6 bytes (an escape `\uXXXX`) and a token at least
    /// one byte; 24 tokens per field for its name, quotes and value otherwise.
    public var maximumTokens: Int {
        fields.reduce(16) { total, field in
            if case .text(let maximumLength) = field.kind { return total + 24 + 6 * maximumLength }
            return total + 24
        }
    }

    /// The fields of `text` parsed and checked, or the first problem as (field, reason) —
    /// field `nil` when the text is not a JSON object at all.
    public func validate(_ text: String) -> Result<StructuredReply, ReplyProblem> {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let object = try? JSONDecoder().decode([String: ReplyValue].self, from: Data(trimmed.utf8)) else {
            return .failure(ReplyProblem(field: nil, reason: "expected a JSON object, found \(Self.excerpt(trimmed))"))
        }
        var reply = StructuredReply()
        for field in fields {
            guard let value = object[field.name] else {
                return .failure(ReplyProblem(field: field.name, reason: "missing"))
            }
            switch field.kind {
            case .text:
                guard case .string(let string) = value, !string.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    return .failure(ReplyProblem(field: field.name, reason: "expected a non-empty string"))
                }
                reply.texts[field.name] = string
            case .integer(let range):
                guard case .integer(let number) = value, range.contains(number) else {
                    return .failure(ReplyProblem(
                        field: field.name,
                        reason: "expected an integer \(range.lowerBound) to \(range.upperBound), found \(value)"))
                }
                reply.integers[field.name] = number
            case .choice(let values):
                guard case .string(let string) = value, values.contains(string) else {
                    return .failure(ReplyProblem(
                        field: field.name, reason: "expected one of \(values.joined(separator: ", ")), found \(value)"))
                }
                reply.texts[field.name] = string
            }
        }
        return .success(reply)
    }

    /// At most 80 characters of `text`, quoted, for a message.
    static func excerpt(_ text: String) -> String {
        let cut = text.count > 80 ? String(text.prefix(80)) + "…" : text
        return "\"\(cut)\""
    }
}

/// One JSON value of a reply, as far as validation needs to tell them apart.
enum ReplyValue: Decodable, CustomStringConvertible {
    case string(String)
    case integer(Int)
    case other(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if (try? container.decode(Bool.self)) != nil {
            self = .other("a boolean")
        } else if let integer = try? container.decode(Int.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .other(String(number))
        } else {
            self = .other("an array, object or null")
        }
    }

    var description: String {
        switch self {
        case .string(let string): return "\"\(string)\""
        case .integer(let integer): return String(integer)
        case .other(let text): return text
        }
    }
}

/// Why a reply failed its schema: the field (`nil`: not a JSON object) and what was expected.
public struct ReplyProblem: Error, Sendable, Equatable {
    public var field: String?
    public var reason: String
    /// Set by the leakage check (the simulated user named its target).
    public var isLeak: Bool

    public init(field: String?, reason: String, isLeak: Bool = false) {
        self.field = field
        self.reason = reason
        self.isLeak = isLeak
    }
}

/// A validated reply's values by field name.
public struct StructuredReply: Sendable, Equatable {
    public var texts: [String: String] = [:]
    public var integers: [String: Int] = [:]

    public init(texts: [String: String] = [:], integers: [String: Int] = [:]) {
        self.texts = texts
        self.integers = integers
    }
}
