import Foundation

/// Compiles a JSON-schema subset to a regular expression (for ``ByteAutomaton``) over one
/// canonical JSON form.
///
/// **Canonical form**: compact, with no whitespace anywhere outside strings (what
/// `JSONSerialization` writes without `.prettyPrinted`): `{"name":"Dune","year":1965}`.
/// Object properties appear exactly once each, in the order of the schema's `required` array.
///
/// **Supported schemas** (every other keyword is refused, naming its path, except the
/// annotations `title`, `description`, `$schema`, `$id`, `default`, `examples`):
/// - `{"type": "object", "properties": {…}, "required": […]}`: every property must be
///   required (no optional properties); `additionalProperties` may only be `false`;
/// - `{"type": "string"}` with optional `minLength` / `maxLength` (≤ 256; a character or one
///   escape counts as one): no raw control characters; escapes `\" \\ \/ \b \f \n \r \t` and
///   `\uXXXX` outside the surrogates (characters beyond the BMP are written raw);
/// - `{"enum": ["a", "b"]}` (strings only; each written in its canonical encoding: only `"`,
///   `\` and control characters escaped);
/// - `{"type": "integer"}`: `-?(0|[1-9][0-9]{0,17})` (at most 18 digits: fits an `Int64`);
///   `minimum: 0` alone drops the sign; `minimum` and `maximum` together (at most 256 values)
///   list the values;
/// - `{"type": "number"}`: an integer part as above, an optional fraction of 1–17 digits and an
///   optional exponent of 1–2 digits;
/// - `{"type": "boolean"}`, `{"type": "null"}`;
/// - `{"type": "array", "items": {…}, "maxItems": n}` with n ≤ 32 required (and optional
///   `minItems`), so every generated document is bounded in breadth.
enum JSONSchemaPattern {
    /// The largest `maxItems` accepted.
    static let maximumItems = 32
    /// The largest `maxLength` accepted.
    static let maximumLength = RegularExpression.maximumRepeat

    private static let annotations: Set<String> = [
        "title", "description", "$schema", "$id", "default", "examples",
    ]

    /// One JSON string character: a raw scalar other than `"`, `\` and controls, or an escape.
    static let stringCharacter =
        #"([^"\\\x00-\x1F]|\\(["\\/bfnrt]|u([0-9a-cA-CefEF][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2})))"#
    static let integer = "-?(0|[1-9][0-9]{0,17})"
    static let nonNegativeInteger = "(0|[1-9][0-9]{0,17})"
    static let number = #"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?([eE][+\-]?[0-9]{1,2})?"#

    /// The pattern of the JSON texts `schema` admits.
    /// - Throws: ``GrammarError`` naming the path of the first unsupported sub-schema.
    static func pattern(for schema: Any) throws -> String {
        try pattern(schema, path: "#")
    }

    private static func pattern(_ schema: Any, path: String) throws -> String {
        guard let object = schema as? [String: Any] else {
            throw GrammarError.schema(path, "a schema must be an object")
        }
        if let values = object["enum"] {
            try allowOnly(["enum", "type"], in: object, path: path)
            guard let strings = values as? [String], !strings.isEmpty else {
                throw GrammarError.schema(
                    path + "/enum", "only a non-empty array of strings is supported")
            }
            if let type = object["type"] as? String, type != "string" {
                throw GrammarError.schema(
                    path + "/type", "an enum of strings needs type \"string\", not \"\(type)\"")
            }
            return "(" + strings.map { escapeLiteral(canonicalString($0)) }.joined(separator: "|")
                + ")"
        }
        guard let type = object["type"] as? String else {
            throw GrammarError.schema(path, "expected \"type\" (a single type name) or \"enum\"")
        }
        switch type {
        case "object": return try objectPattern(object, path: path)
        case "array": return try arrayPattern(object, path: path)
        case "string":
            try allowOnly(["type", "minLength", "maxLength"], in: object, path: path)
            let minimum = try bound("minLength", in: object, path: path) ?? 0
            let maximum = try bound("maxLength", in: object, path: path)
            if let maximum, maximum < minimum {
                throw GrammarError.schema(path, "maxLength is below minLength")
            }
            let repeatSuffix =
                maximum.map { "{\(minimum),\($0)}" } ?? (minimum == 0 ? "*" : "{\(minimum),}")
            return "\"" + stringCharacter + repeatSuffix + "\""
        case "integer":
            try allowOnly(["type", "minimum", "maximum"], in: object, path: path)
            let minimum = try integerValue("minimum", in: object, path: path)
            let maximum = try integerValue("maximum", in: object, path: path)
            switch (minimum, maximum) {
            case (nil, nil): return integer
            case (0?, nil): return nonNegativeInteger
            case (let low?, let high?) where low <= high && high - low < 256:
                return "(" + (low...high).map { escapeLiteral(String($0)) }.joined(separator: "|")
                    + ")"
            default:
                throw GrammarError.schema(
                    path,
                    "integer bounds are supported as minimum 0 alone, or minimum and maximum at most 255 apart"
                )
            }
        case "number":
            try allowOnly(["type"], in: object, path: path)
            return number
        case "boolean":
            try allowOnly(["type"], in: object, path: path)
            return "(true|false)"
        case "null":
            try allowOnly(["type"], in: object, path: path)
            return "null"
        default:
            throw GrammarError.schema(path + "/type", "unsupported type \"\(type)\"")
        }
    }

    private static func objectPattern(_ object: [String: Any], path: String) throws -> String {
        try allowOnly(
            ["type", "properties", "required", "additionalProperties"], in: object, path: path)
        if let additional = object["additionalProperties"], (additional as? Bool) != false {
            throw GrammarError.schema(path + "/additionalProperties", "only false is supported")
        }
        let properties = (object["properties"] as? [String: Any]) ?? [:]
        if object["properties"] != nil, object["properties"] as? [String: Any] == nil {
            throw GrammarError.schema(path + "/properties", "expected an object of schemas")
        }
        guard let required = (object["required"] ?? [String]()) as? [String] else {
            throw GrammarError.schema(path + "/required", "expected an array of property names")
        }
        for name in properties.keys.sorted() where !required.contains(name) {
            throw GrammarError.schema(
                path + "/properties/" + name,
                "optional properties are not supported; list it in \"required\"")
        }
        var parts: [String] = []
        var seen = Set<String>()
        for name in required {
            guard seen.insert(name).inserted else {
                throw GrammarError.schema(path + "/required", "\"\(name)\" is listed twice")
            }
            guard let property = properties[name] else {
                throw GrammarError.schema(
                    path + "/required", "\"\(name)\" has no schema in \"properties\"")
            }
            parts.append(
                escapeLiteral(canonicalString(name) + ":")
                    + (try pattern(property, path: path + "/properties/" + name)))
        }
        return #"\{"# + parts.joined(separator: ",") + #"\}"#
    }

    private static func arrayPattern(_ object: [String: Any], path: String) throws -> String {
        try allowOnly(["type", "items", "minItems", "maxItems"], in: object, path: path)
        guard let items = object["items"] else {
            throw GrammarError.schema(path, "an array needs \"items\"")
        }
        guard let maximum = try bound("maxItems", in: object, path: path), maximum <= maximumItems
        else {
            throw GrammarError.schema(
                path + "/maxItems", "an array needs maxItems between 0 and \(maximumItems)")
        }
        let minimum = try bound("minItems", in: object, path: path) ?? 0
        guard minimum <= maximum else {
            throw GrammarError.schema(path, "maxItems is below minItems")
        }
        if maximum == 0 { return #"\[\]"# }
        let item = try pattern(items, path: path + "/items")
        let rest = "(," + item + "){\(max(minimum - 1, 0)),\(maximum - 1)}"
        return #"\["# + (minimum == 0 ? "(" + item + rest + ")?" : item + rest) + #"\]"#
    }

    // MARK: Helpers

    private static func allowOnly(_ keywords: Set<String>, in object: [String: Any], path: String)
        throws
    {
        for key in object.keys.sorted() where !keywords.contains(key) && !annotations.contains(key)
        {
            throw GrammarError.schema(path + "/" + key, "unsupported keyword \"\(key)\" here")
        }
    }

    private static func integerValue(_ key: String, in object: [String: Any], path: String) throws
        -> Int?
    {
        guard let value = object[key] else { return nil }
        guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue) else {
            throw GrammarError.schema(path + "/" + key, "expected an integer")
        }
        return integer
    }

    private static func bound(_ key: String, in object: [String: Any], path: String) throws -> Int?
    {
        guard let value = try integerValue(key, in: object, path: path) else { return nil }
        guard (0...maximumLength).contains(value) else {
            throw GrammarError.schema(path + "/" + key, "expected 0 to \(maximumLength)")
        }
        return value
    }

    /// The canonical JSON encoding of a string: quotes; only `"`, `\` and controls escaped.
    static func canonicalString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// `text` as a pattern matching exactly itself.
    static func escapeLiteral(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if #"\.[](){}|*+?^$-"#.unicodeScalars.contains(scalar) {
                result += "\\" + String(scalar)
            } else if scalar.value < 0x20 {
                result += String(format: "\\x%02X", scalar.value)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
