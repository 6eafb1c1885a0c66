import Foundation

/// BERT's basic tokenisation, which runs before WordPiece: it cleans the text, puts spaces
/// around CJK ideographs, splits on whitespace, lower-cases and strips accents (uncased
/// models), and splits punctuation into words of its own.
///
/// In order: scalars U+0000, U+FFFD and control/format scalars (categories Cc, Cf, except tab,
/// newline and carriage return) are dropped; tab, newline, carriage return and space
/// separators (Zs) become spaces; each CJK ideograph becomes a word; the text is NFC
/// normalised and split on whitespace; each word is lower-cased, decomposed (NFD) with its
/// non-spacing marks (Mn) dropped, and cut before and after every punctuation scalar (ASCII
/// symbols `!`…`/`, `:`…`@`, `[`…`` ` ``, `{`…`~`, and categories P*).
public struct BertBasicTokenizer: Sendable {
    /// Whether words are lower-cased and stripped of accents (true for uncased models).
    public var lowercases: Bool

    public init(lowercases: Bool = true) {
        self.lowercases = lowercases
    }

    /// The words of `text`.
    public func words(of text: String) -> [String] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if Self.isChineseCharacter(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        let normalised = String(cleaned).precomposedStringWithCanonicalMapping
        var words: [String] = []
        for piece in Self.splitOnWhitespace(normalised) {
            var word = piece
            if lowercases { word = Self.stripAccents(word.lowercased()) }
            Self.splitOnPunctuation(word, into: &words)
        }
        return words
    }

    // MARK: Steps

    static func splitOnWhitespace(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    static func stripAccents(_ word: String) -> String {
        var stripped = String.UnicodeScalarView()
        for scalar in word.decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            stripped.append(scalar)
        }
        return String(stripped)
    }

    static func splitOnPunctuation(_ word: String, into words: inout [String]) {
        var current = String.UnicodeScalarView()
        for scalar in word.unicodeScalars {
            if isPunctuation(scalar) {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
                words.append(String(Character(scalar)))
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
    }

    // MARK: Character classes

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r": return true
        default: return scalar.properties.generalCategory == .spaceSeparator
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            let category = scalar.properties.generalCategory
            return category == .control || category == .format
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value) {
            return true
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks (with extensions A–E and the compatibility blocks);
    /// Hiragana, Katakana and Hangul are not among them.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
