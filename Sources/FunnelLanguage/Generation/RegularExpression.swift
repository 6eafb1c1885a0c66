/// The syntax tree of the regular-expression subset ``ByteAutomaton`` compiles, and its parser.
///
/// The subset (always matched against the whole text, so `^` at the start and `$` at the end
/// are accepted and ignored):
/// - literal characters (matched as their UTF-8 bytes) and `.` (any Unicode scalar but `\n`);
/// - classes `[a-z0-9 ]`, negated classes `[^\]]` (any valid UTF-8 scalar not listed), with
///   ranges of any scalars and the escapes below inside;
/// - escapes: `\d \D \s \S \w \W`, `\n \t \r \f \v`, `\xHH`, `\u{H…}`, and any ASCII
///   punctuation escaping itself (`\[ \] \\ \. \( \{ \| \" …`);
/// - groups `( )` (no `(?` extensions), alternation `|`, `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`
///   with n ≤ ``maximumRepeat``.
/// Anything else is refused with a ``GrammarError`` naming the offset.
indirect enum RegularExpression: Equatable, Sendable {
    /// The empty string.
    case empty
    /// One scalar from the set.
    case scalars(ScalarSet)
    /// The parts in order.
    case concatenation([RegularExpression])
    /// Any one of the branches.
    case alternation([RegularExpression])
    /// Between `minimum` and `maximum` (unbounded when nil) repetitions.
    case repetition(RegularExpression, minimum: Int, maximum: Int?)

    /// The largest bound allowed in `{m,n}`.
    static let maximumRepeat = 256

    /// Parses `pattern`.
    /// - Throws: ``GrammarError`` at the offset of the first unsupported or malformed construct.
    static func parse(_ pattern: String) throws -> RegularExpression {
        var parser = Parser(scalars: Array(pattern.unicodeScalars))
        if parser.peek == "^" { parser.position += 1 }
        let expression = try parser.parseAlternation()
        if parser.peek == "$", parser.position == parser.scalars.count - 1 { parser.position += 1 }
        if let extra = parser.peek {
            throw GrammarError.pattern(
                parser.position, extra == ")" ? "unmatched ')'" : "unexpected '\(extra)'")
        }
        return expression
    }

    /// A recursive-descent parser over the pattern's scalars.
    private struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0

        var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

        mutating func take() -> Unicode.Scalar? {
            defer { position += 1 }
            return peek
        }

        mutating func parseAlternation() throws -> RegularExpression {
            var branches = [try parseConcatenation()]
            while peek == "|" {
                position += 1
                branches.append(try parseConcatenation())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func parseConcatenation() throws -> RegularExpression {
            var parts: [RegularExpression] = []
            while let next = peek, next != "|", next != ")" {
                if next == "$", position == scalars.count - 1 { break }
                parts.append(try parseRepetition())
            }
            return parts.isEmpty ? .empty : parts.count == 1 ? parts[0] : .concatenation(parts)
        }

        mutating func parseRepetition() throws -> RegularExpression {
            var atom = try parseAtom()
            while let next = peek {
                let start = position
                switch next {
                case "*": position += 1; atom = .repetition(atom, minimum: 0, maximum: nil)
                case "+": position += 1; atom = .repetition(atom, minimum: 1, maximum: nil)
                case "?": position += 1; atom = .repetition(atom, minimum: 0, maximum: 1)
                case "{":
                    position += 1
                    let (minimum, maximum) = try parseBounds(start: start)
                    atom = .repetition(atom, minimum: minimum, maximum: maximum)
                default: return atom
                }
            }
            return atom
        }

        mutating func parseBounds(start: Int) throws -> (Int, Int?) {
            guard let minimum = parseNumber() else {
                throw GrammarError.pattern(position, "expected a number in '{m,n}'")
            }
            var maximum: Int? = minimum
            if peek == "," {
                position += 1
                maximum = peek == "}" ? nil : parseNumber()
                if maximum == nil, peek != "}" {
                    throw GrammarError.pattern(position, "expected a number or '}' in '{m,n}'")
                }
            }
            guard take() == "}" else {
                throw GrammarError.pattern(position - 1, "expected '}' closing '{m,n}'")
            }
            if let maximum, maximum < minimum {
                throw GrammarError.pattern(
                    start, "repeat bounds {\(minimum),\(maximum)} are reversed")
            }
            if max(minimum, maximum ?? 0) > RegularExpression.maximumRepeat {
                throw GrammarError.pattern(
                    start, "repeat bound above \(RegularExpression.maximumRepeat)")
            }
            return (minimum, maximum)
        }

        mutating func parseNumber() -> Int? {
            var value: Int?
            while let next = peek, ("0"..."9").contains(next), (value ?? 0) <= 100_000 {
                value = (value ?? 0) * 10 + Int(next.value - 48)
                position += 1
            }
            return value
        }

        mutating func parseAtom() throws -> RegularExpression {
            let start = position
            guard let next = take() else {
                throw GrammarError.pattern(start, "unexpected end of pattern")
            }
            switch next {
            case "(":
                if peek == "?" {
                    throw GrammarError.pattern(position, "group extensions '(?' are not supported")
                }
                let inner = try parseAlternation()
                guard take() == ")" else { throw GrammarError.pattern(start, "unclosed '('") }
                return inner
            case "[": return .scalars(try parseClass(start: start))
            case ".": return .scalars(.anyButNewline)
            case "\\": return .scalars(try parseEscape(start: start))
            case "*", "+", "?", "{":
                throw GrammarError.pattern(start, "'\(next)' has nothing to repeat")
            case "]", "}":
                throw GrammarError.pattern(start, "unescaped '\(next)'; write '\\\(next)'")
            case "^", "$":
                throw GrammarError.pattern(
                    start, "anchor '\(next)' is only allowed at the very start or end")
            default: return .scalars(ScalarSet(scalar: next))
            }
        }

        mutating func parseClass(start: Int) throws -> ScalarSet {
            let negated = peek == "^"
            if negated { position += 1 }
            var members = ScalarSet()
            var first = true
            while true {
                guard let next = peek else { throw GrammarError.pattern(start, "unclosed '['") }
                if next == "]" {
                    if first {
                        throw GrammarError.pattern(
                            position, "empty class; write '\\]' for a bracket")
                    }
                    position += 1
                    break
                }
                first = false
                let itemStart = position
                let low = try parseClassItem()
                if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                    position += 1
                    let high = try parseClassItem()
                    guard let lowScalar = low.single, let highScalar = high.single else {
                        throw GrammarError.pattern(
                            itemStart, "a class range needs single characters at both ends")
                    }
                    guard lowScalar <= highScalar else {
                        throw GrammarError.pattern(itemStart, "class range is reversed")
                    }
                    members = members.union(ScalarSet([lowScalar...highScalar]))
                } else {
                    members = members.union(low.set)
                }
            }
            return negated ? members.complement : members
        }

        /// One class item: a character or an escape; `single` is its scalar when it is one.
        mutating func parseClassItem() throws -> (set: ScalarSet, single: UInt32?) {
            let start = position
            guard let next = take() else { throw GrammarError.pattern(start, "unclosed '['") }
            if next == "\\" {
                let set = try parseEscape(start: start)
                let single =
                    set.ranges.count == 1 && set.ranges[0].count == 1
                    ? set.ranges[0].lowerBound : nil
                return (set, single)
            }
            if next == "[" {
                throw GrammarError.pattern(start, "unescaped '[' inside a class; write '\\['")
            }
            return (ScalarSet(scalar: next), next.value)
        }

        mutating func parseEscape(start: Int) throws -> ScalarSet {
            guard let next = take() else {
                throw GrammarError.pattern(start, "pattern ends with '\\'")
            }
            switch next {
            case "d": return .digits
            case "D": return ScalarSet.digits.complement
            case "s": return .whitespace
            case "S": return ScalarSet.whitespace.complement
            case "w": return .wordCharacters
            case "W": return ScalarSet.wordCharacters.complement
            case "n": return ScalarSet(scalar: "\n")
            case "t": return ScalarSet(scalar: "\t")
            case "r": return ScalarSet(scalar: "\r")
            case "f": return ScalarSet(scalar: "\u{0C}")
            case "v": return ScalarSet(scalar: "\u{0B}")
            case "x": return try parseHex(start: start, digits: 2, braced: false)
            case "u":
                guard take() == "{" else {
                    throw GrammarError.pattern(start, "expected '\\u{HEX}'")
                }
                return try parseHex(start: start, digits: 6, braced: true)
            default:
                guard next.isASCII, !next.properties.isAlphabetic, !("0"..."9").contains(next)
                else {
                    throw GrammarError.pattern(start, "unknown escape '\\\(next)'")
                }
                return ScalarSet(scalar: next)
            }
        }

        mutating func parseHex(start: Int, digits: Int, braced: Bool) throws -> ScalarSet {
            var value: UInt32 = 0
            var count = 0
            while count < digits, let next = peek, let digit = UInt32(String(next), radix: 16) {
                value = value * 16 + digit
                count += 1
                position += 1
            }
            if braced, take() != "}" {
                throw GrammarError.pattern(start, "expected '}' closing '\\u{…}'")
            }
            guard count == digits || (braced && count > 0), Unicode.Scalar(value) != nil else {
                throw GrammarError.pattern(start, "malformed hexadecimal escape")
            }
            return ScalarSet([value...value])
        }
    }
}
