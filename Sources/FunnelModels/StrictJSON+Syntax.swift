import Foundation

extension StrictJSON {
    /// The deepest nesting of objects and arrays a configuration may have.
    static let maximumDepth = 128

    /// Checks that `data` is one JSON value (RFC 8259) whose objects repeat no key, before
    /// `JSONSerialization` reads it (which keeps one of two equal keys without a word, and
    /// reports a syntax error without saying where).
    ///
    /// Throws an ``Error`` naming the line and column of a syntax error, or the path of a
    /// repeated key (`optimizer.groups[0].name`) and the lines of both occurrences.
    public static func checkSyntax(_ data: Data, context: String = "") throws {
        var scanner = SyntaxScanner(bytes: [UInt8](data), context: context)
        try scanner.scanDocument()
    }
}

/// A recursive-descent scanner of JSON text: syntax, nesting depth and repeated keys.
private struct SyntaxScanner {
    let bytes: [UInt8]
    let context: String
    var index = 0

    init(bytes: [UInt8], context: String) {
        self.bytes = bytes
        self.context = context
        // A UTF-8 byte-order mark is allowed before the value.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func scanDocument() throws {
        skipWhitespace()
        guard index < bytes.count else { throw failure("the text is empty; expected a JSON value") }
        try scanValue(path: context, depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected \(found()) after the end of the JSON value") }
    }

    private mutating func scanValue(path: String, depth: Int) throws {
        guard depth < StrictJSON.maximumDepth else {
            throw failure("objects and arrays nested deeper than \(StrictJSON.maximumDepth) levels")
        }
        guard index < bytes.count else { throw failure("the text ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try scanObject(path: path, depth: depth)
        case UInt8(ascii: "["): try scanArray(path: path, depth: depth)
        case UInt8(ascii: "\""): _ = try scanString()
        case UInt8(ascii: "t"): try scanLiteral("true")
        case UInt8(ascii: "f"): try scanLiteral("false")
        case UInt8(ascii: "n"): try scanLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: throw failure("unexpected \(found()); expected a value (an object, array, string, number, true, false or null)")
        }
    }

    private mutating func scanObject(path: String, depth: Int) throws {
        index += 1
        var seen: [String: Int] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure("unexpected \(found()); expected a key in double quotes")
            }
            let keyStart = index
            let key = try scanString()
            let child = path.isEmpty ? key : "\(path).\(key)"
            if let first = seen[key] {
                throw StrictJSON.Error(
                    description: "field '\(child)': the key '\(key)' appears twice in one object (line \(position(of: first).line) and line \(position(of: keyStart).line)); expected each key once")
            }
            seen[key] = keyStart
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw failure("unexpected \(found()); expected ':' after the key '\(key)'")
            }
            index += 1
            skipWhitespace()
            try scanValue(path: child, depth: depth + 1)
            skipWhitespace()
            guard index < bytes.count else { throw failure("the text ends inside an object; expected ',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw failure("unexpected \(found()); expected ',' or '}'") }
            index += 1
            return
        }
    }

    private mutating func scanArray(path: String, depth: Int) throws {
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        var element = 0
        while true {
            skipWhitespace()
            try scanValue(path: "\(path)[\(element)]", depth: depth + 1)
            element += 1
            skipWhitespace()
            guard index < bytes.count else { throw failure("the text ends inside an array; expected ',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw failure("unexpected \(found()); expected ',' or ']'") }
            index += 1
            return
        }
    }

    /// A string's value (escapes decoded), the index past its closing quote.
    private mutating func scanString() throws -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var run = index
        var raw: [UInt8] = []
        func flush(_ end: Int) {
            raw.append(contentsOf: bytes[run..<end])
        }
        while true {
            guard index < bytes.count else { throw failure("the text ends inside a string; expected a closing '\"'") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush(index)
                index += 1
                break
            }
            if byte < 0x20 { throw failure("a control character (byte \(byte)) inside a string; expected it escaped") }
            if byte == UInt8(ascii: "\\") {
                flush(index)
                index += 1
                guard index < bytes.count else { throw failure("the text ends inside an escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): raw.append(escape)
                case UInt8(ascii: "b"): raw.append(0x08)
                case UInt8(ascii: "f"): raw.append(0x0C)
                case UInt8(ascii: "n"): raw.append(0x0A)
                case UInt8(ascii: "r"): raw.append(0x0D)
                case UInt8(ascii: "t"): raw.append(0x09)
                case UInt8(ascii: "u"):
                    var value = try hexQuad()
                    if (0xD800..<0xDC00).contains(value), index + 1 < bytes.count,
                        bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    {
                        let saved = index
                        index += 2
                        let low = try hexQuad()
                        if (0xDC00..<0xE000).contains(low) {
                            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = saved
                        }
                    }
                    // A lone surrogate decodes as U+FFFD (as JSONSerialization's replacement).
                    let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                    raw.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    index -= 1
                    throw failure("an invalid escape '\\\(String(decoding: [escape], as: UTF8.self))' in a string")
                }
                run = index
                continue
            }
            index += 1
        }
        guard let text = String(bytes: raw, encoding: .utf8) else {
            throw failure("a string that is not valid UTF-8")
        }
        scalars.append(contentsOf: text.unicodeScalars)
        return String(scalars)
    }

    private mutating func hexQuad() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("the text ends inside a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("unexpected \(found()) in a \\u escape; expected 4 hexadecimal digits")
            }
            value = value * 16 + UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func scanLiteral(_ literal: String) throws {
        let expected = Array(literal.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw failure("unexpected \(found()); expected a value (an object, array, string, number, true, false or null)")
        }
        index += expected.count
    }

    private mutating func scanNumber() throws {
        func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits()
        guard integerDigits > 0 else { throw failure("a number without digits after '-'") }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") {
            index = integerStart
            throw failure("a number with a leading zero")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("a number without digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("a number without digits in its exponent") }
        }
        _ = start
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// What stands at the index, for a message.
    private func found() -> String {
        guard index < bytes.count else { return "end of text" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F { return "'\(String(decoding: [byte], as: UTF8.self))'" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    /// The 1-based line and column of the index (columns count bytes).
    private func position(of index: Int? = nil) -> (line: Int, column: Int) {
        let index = index ?? self.index
        var line = 1
        var lineStart = 0
        for offset in 0..<Swift.min(index, bytes.count) where bytes[offset] == 0x0A {
            line += 1
            lineStart = offset + 1
        }
        return (line, index - lineStart + 1)
    }

    private func failure(_ message: String) -> StrictJSON.Error {
        let (line, column) = position()
        let subject = context.isEmpty ? "the configuration" : "'\(context)'"
        return StrictJSON.Error(description: "\(subject) is not valid JSON: line \(line), column \(column): \(message)")
    }
}
