/// A parsed JSON value (RFC 8259) that keeps each number's text as written, so a number sent for
/// a column is the field a dataset file would hold (`7` stays `7`, `1e-3` stays `1e-3`).
///
/// The scoring routes parse their bodies with ``parse(_:)``: one pass over the bytes, several
/// times faster than `JSONDecoder` on rows of a few fields, with the byte offset in every
/// refusal.
enum JSONNode: Equatable {
    case string(String)
    /// A number's text as written.
    case number(String)
    case bool(Bool)
    case null
    case array([JSONNode])
    /// Members in the order written (a repeated key keeps its last value when looked up).
    case object([(key: String, value: JSONNode)])

    static func == (left: JSONNode, right: JSONNode) -> Bool {
        switch (left, right) {
        case (.string(let a), .string(let b)), (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: return false
        }
    }

    /// The member `key` of an object (the last one written), `nil` otherwise.
    subscript(key: String) -> JSONNode? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// Parses a whole JSON text.
    /// - Throws: ``InvalidRequestError`` saying what was expected at which byte.
    static func parse(_ bytes: [UInt8]) throws -> JSONNode {
        var parser = Parser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw parser.failure("the end of the body") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        /// Deeper nesting is refused: a request cannot exhaust the stack.
        static let maximumDepth = 64

        init(bytes: [UInt8]) { self.bytes = bytes }

        func failure(_ expected: String) -> InvalidRequestError {
            let found = position < bytes.count ? "'\(Character(Unicode.Scalar(bytes[position])))'" : "the end of the body"
            return InvalidRequestError("the body is not valid JSON: expected \(expected) at byte \(position), found \(found)")
        }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) throws -> JSONNode {
            guard depth < Self.maximumDepth else { throw failure("at most \(Self.maximumDepth) levels of nesting") }
            skipSpace()
            guard position < bytes.count else { throw failure("a value") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw failure("a value")
            }
        }

        mutating func literal(_ word: String, _ node: JSONNode) throws -> JSONNode {
            let text = Array(word.utf8)
            guard bytes.count - position >= text.count, Array(bytes[position..<(position + text.count)]) == text else {
                throw failure("'\(word)'")
            }
            position += text.count
            return node
        }

        mutating func object(depth: Int) throws -> JSONNode {
            position += 1
            var members: [(key: String, value: JSONNode)] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("a member name in quotes") }
                let key = try string()
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("':'") }
                position += 1
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard position < bytes.count else { throw failure("',' or '}'") }
                if bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                }
                guard bytes[position] == UInt8(ascii: ",") else { throw failure("',' or '}'") }
                position += 1
            }
        }

        mutating func array(depth: Int) throws -> JSONNode {
            position += 1
            var elements: [JSONNode] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                elements.append(try value(depth: depth + 1))
                skipSpace()
                guard position < bytes.count else { throw failure("',' or ']'") }
                if bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(elements)
                }
                guard bytes[position] == UInt8(ascii: ",") else { throw failure("',' or ']'") }
                position += 1
            }
        }

        /// A number's text, checked against the grammar `-? int frac? exp?`.
        mutating func number() throws -> String {
            let start = position
            func digits() -> Int {
                let first = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
                return position - first
            }
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integerStart = position
            guard digits() > 0 else { throw failure("a digit") }
            if bytes[integerStart] == UInt8(ascii: "0"), position - integerStart > 1 {
                position = integerStart + 1
                throw failure("no leading zero")
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw failure("a digit after '.'") }
            }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw failure("a digit of the exponent") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// A string's value, escapes resolved (`\uXXXX` surrogate pairs included).
        mutating func string() throws -> String {
            position += 1
            let start = position
            // The common case: no escapes.
            while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\"), bytes[position] >= 0x20 {
                position += 1
            }
            guard position < bytes.count else { throw failure("'\"' closing the string") }
            if bytes[position] == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: bytes[start..<(position - 1)], as: UTF8.self)
            }
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: String(decoding: bytes[start..<position], as: UTF8.self).unicodeScalars)
            var pending: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: pending, as: UTF8.self).unicodeScalars)
                pending.removeAll()
            }
            while true {
                guard position < bytes.count else { throw failure("'\"' closing the string") }
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    flush()
                    return String(scalars)
                }
                guard byte >= 0x20 else { throw failure("a character (control characters must be escaped)") }
                guard byte == UInt8(ascii: "\\") else {
                    pending.append(byte)
                    position += 1
                    continue
                }
                flush()
                position += 1
                guard position < bytes.count else { throw failure("an escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "f"): scalars.append("\u{C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hexQuad()
                    if (0xD800..<0xDC00).contains(code) {
                        guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw failure("the low half of a surrogate pair")
                        }
                        position += 2
                        let low = try hexQuad()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("the low half of a surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw failure("a Unicode scalar, not a lone surrogate") }
                    scalars.append(scalar)
                default:
                    position -= 1
                    throw failure("an escape (one of \" \\ / b f n r t u)")
                }
            }
        }

        mutating func hexQuad() throws -> UInt32 {
            guard bytes.count - position >= 4 else { throw failure("four hexadecimal digits") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Character(Unicode.Scalar(bytes[position])).hexDigitValue else { throw failure("a hexadecimal digit") }
                code = code << 4 | UInt32(digit)
                position += 1
            }
            return code
        }
    }
}
