import Foundation

/// Checks a JSON document before it is decoded, for what `JSONSerialization`/`JSONDecoder`
/// accept silently: a key written twice in one object (they keep one of the values), keys the
/// reader does not know (a typo such as `vocabularyy` would be ignored), and nesting deep enough
/// to exhaust the stack.
///
/// ```swift
/// try JSONChecker.check(data, shape: .object(["name": .any, "columns": .array(.any)]))
/// // throws JSONChecker.Failure: "field 'columns[2].vocabularyy' is unknown; expected one of: …"
/// ```
///
/// Used by `schema.json` (``DatasetSchema/read(directory:)``) and meant for every other JSON file
/// a user writes (training and experiment configurations).
public enum JSONChecker {
    /// Why a document was refused: the field's path (`columns[2].kind`, empty for the document
    /// itself) and what is wrong with it.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The path of the field, e.g. `columns[2].vocabulary`; empty when the document as a
        /// whole is at fault (a syntax error).
        public var path: String
        /// What is wrong, e.g. "appears twice" or "line 3, column 7: expected ':' after a key".
        public var message: String

        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }

        public var description: String {
            path.isEmpty ? message : "field '\(path)' \(message)"
        }
    }

    /// The keys a reader knows, per object of a document.
    public indirect enum Shape: Sendable {
        /// Anything (a value the reader decodes and checks itself).
        case any
        /// An object with exactly these keys allowed (each with its own shape).
        case object([String: Shape])
        /// An object used as a dictionary: any keys, every value of this shape.
        case dictionary(Shape)
        /// An array whose elements have this shape.
        case array(Shape)
        /// A whole number that fits an `Int` (another type is left to the decoder to report).
        case integer
    }

    /// A parsed JSON value, keys in document order.
    public indirect enum Value: Sendable, Equatable {
        case object([Member])
        case array([Value])
        case string(String)
        /// A number, as written.
        case number(String)
        case bool(Bool)
        case null
    }

    /// One key and value of an object.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: Value
    }

    /// The deepest nesting accepted (objects and arrays).
    public static let maximumDepth = 128

    /// Parses `data` as JSON (RFC 8259), refusing duplicate keys (with the key's path), nesting
    /// deeper than ``maximumDepth`` and any syntax error (with its line and column).
    public static func parse(_ data: Data) throws(Failure) -> Value {
        let bytes = [UInt8](data)
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    /// Parses `data` and checks every object's keys against `shape`; throws the first problem.
    public static func check(_ data: Data, shape: Shape) throws(Failure) {
        let value = try parse(data)
        if let failure = unknownKey(in: value, shape: shape, path: "") { throw failure }
    }

    /// The first key of `value` that `shape` does not allow, as a failure naming its path.
    public static func unknownKey(in value: Value, shape: Shape, path: String = "") -> Failure? {
        switch (shape, value) {
        case (.object(let allowed), .object(let members)):
            for member in members {
                let memberPath = join(path, member.key)
                guard let inner = allowed[member.key] else {
                    return Failure(
                        path: memberPath,
                        message: "is unknown; expected one of: \(allowed.keys.sorted().joined(separator: ", "))")
                }
                if let failure = unknownKey(in: member.value, shape: inner, path: memberPath) { return failure }
            }
        case (.dictionary(let inner), .object(let members)):
            for member in members {
                if let failure = unknownKey(in: member.value, shape: inner, path: join(path, member.key)) {
                    return failure
                }
            }
        case (.array(let inner), .array(let elements)):
            for (index, element) in elements.enumerated() {
                if let failure = unknownKey(in: element, shape: inner, path: path + "[\(index)]") { return failure }
            }
        case (.integer, .number(let text)):
            if Int(text) == nil {
                let value = Double(text) ?? .nan
                if !(value == value.rounded() && Swift.abs(value) < 9.2e18) {
                    return Failure(
                        path: path,
                        message: "is \(text.truncatedForMessage(40)); expected a whole number within ±9.2e18")
                }
            }
        default:
            break  // a value of another type: the decoder reports it with the expected type
        }
        return nil
    }

    static func join(_ path: String, _ key: String) -> String {
        let key = key.truncatedForMessage()
        return path.isEmpty ? key : path + "." + key
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            // A UTF-8 byte order mark is allowed before the document.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        }

        mutating func document() throws(Failure) -> Value {
            skipSpace()
            guard position < bytes.count else { throw syntax("the document is empty; expected a JSON value") }
            let value = try value(path: "", depth: 0)
            skipSpace()
            guard position == bytes.count else { throw syntax("unexpected text after the JSON value") }
            return value
        }

        mutating func value(path: String, depth: Int) throws(Failure) -> Value {
            guard depth < JSONChecker.maximumDepth else {
                throw syntax("nested deeper than \(JSONChecker.maximumDepth) levels")
            }
            guard position < bytes.count else { throw syntax("unexpected end of the document; expected a value") }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [Member] = []
                var seen = Set<String>()
                skipSpace()
                if peek(UInt8(ascii: "}")) {
                    position += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    guard peek(UInt8(ascii: "\"")) else { throw syntax("expected a key in double quotes") }
                    let key = try string()
                    let memberPath = JSONChecker.join(path, key)
                    guard seen.insert(key).inserted else {
                        throw Failure(path: memberPath, message: "appears twice in one object (only one value would be kept)")
                    }
                    skipSpace()
                    guard peek(UInt8(ascii: ":")) else { throw syntax("expected ':' after a key") }
                    position += 1
                    skipSpace()
                    let inner = try value(path: memberPath, depth: depth + 1)
                    members.append(Member(key: key, value: inner))
                    skipSpace()
                    if peek(UInt8(ascii: ",")) {
                        position += 1
                        continue
                    }
                    if peek(UInt8(ascii: "}")) {
                        position += 1
                        return .object(members)
                    }
                    throw syntax("expected ',' or '}' after a value")
                }
            case UInt8(ascii: "["):
                position += 1
                var elements: [Value] = []
                skipSpace()
                if peek(UInt8(ascii: "]")) {
                    position += 1
                    return .array(elements)
                }
                while true {
                    skipSpace()
                    elements.append(try value(path: path + "[\(elements.count)]", depth: depth + 1))
                    skipSpace()
                    if peek(UInt8(ascii: ",")) {
                        position += 1
                        continue
                    }
                    if peek(UInt8(ascii: "]")) {
                        position += 1
                        return .array(elements)
                    }
                    throw syntax("expected ',' or ']' after a value")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(try number())
            default:
                throw syntax("expected a value (an object, array, string, number, true, false or null)")
            }
        }

        func peek(_ byte: UInt8) -> Bool {
            position < bytes.count && bytes[position] == byte
        }

        mutating func skipSpace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard position + expected.count <= bytes.count,
                bytes[position..<position + expected.count].elementsEqual(expected)
            else { throw syntax("expected '\(word)'") }
            position += expected.count
        }

        mutating func number() throws(Failure) -> String {
            let start = position
            if peek(UInt8(ascii: "-")) { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { throw syntax("expected a digit in a number") }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
            } else {
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
            if peek(UInt8(ascii: ".")) {
                position += 1
                guard position < bytes.count, isDigit(bytes[position]) else {
                    throw syntax("expected a digit after the decimal point")
                }
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
            if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
                position += 1
                if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { position += 1 }
                guard position < bytes.count, isDigit(bytes[position]) else {
                    throw syntax("expected a digit in the exponent")
                }
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        /// A string starting at the opening quote, unescaped.
        mutating func string() throws(Failure) -> String {
            position += 1
            var run = position  // start of the unescaped bytes not yet copied
            var text = ""
            while true {
                guard position < bytes.count else { throw syntax("a string is not closed before the end of the document") }
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    text += String(decoding: bytes[run..<position], as: UTF8.self)
                    position += 1
                    return text
                }
                if byte < 0x20 { throw syntax("a control character inside a string (escape it)") }
                if byte == UInt8(ascii: "\\") {
                    text += String(decoding: bytes[run..<position], as: UTF8.self)
                    position += 1
                    guard position < bytes.count else { throw syntax("an escape is not finished") }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""): text += "\""
                    case UInt8(ascii: "\\"): text += "\\"
                    case UInt8(ascii: "/"): text += "/"
                    case UInt8(ascii: "b"): text += "\u{8}"
                    case UInt8(ascii: "f"): text += "\u{C}"
                    case UInt8(ascii: "n"): text += "\n"
                    case UInt8(ascii: "r"): text += "\r"
                    case UInt8(ascii: "t"): text += "\t"
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code), position + 1 < bytes.count,
                            bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                        {
                            position += 2
                            let low = try hex4()
                            if (0xDC00..<0xE000).contains(low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            }
                        }
                        text.unicodeScalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default:
                        throw syntax("an unknown escape '\\\(Character(Unicode.Scalar(escape)))'")
                    }
                    run = position
                    continue
                }
                position += 1
            }
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard position + 4 <= bytes.count else { throw syntax("expected 4 hexadecimal digits after \\u") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw syntax("expected 4 hexadecimal digits after \\u")
                }
                code = code * 16 + digit
                position += 1
            }
            return code
        }

        /// A syntax error at the current position, located by line and column.
        func syntax(_ message: String) -> Failure {
            var line = 1
            var column = 1
            for byte in bytes[..<Swift.min(position, bytes.count)] {
                if byte == 0x0A {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return Failure(path: "", message: "line \(line), column \(column): \(message)")
        }
    }
}

extension String {
    /// The text cut to `limit` characters with an ellipsis and the full length, so that an
    /// error message never echoes a whole line or file.
    func truncatedForMessage(_ limit: Int = 80) -> String {
        guard utf8.count > limit else { return self }
        let prefix = String(decoding: utf8.prefix(limit), as: UTF8.self)
        return prefix + "… (\(utf8.count) bytes)"
    }
}
