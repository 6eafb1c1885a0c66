/// Splits text into the words that byte-level BPE merges within, the way SmolLM2's tokenizer
/// does (`tokenizer.ggml.pre = "smollm"`): every number scalar (general category Nd, Nl or No)
/// is a word of its own, and each stretch between them is split with the GPT-2 pattern
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// The pattern is not run as a regular expression: a hand-written scanner over Unicode
/// scalars takes the first alternative that matches at each position, exactly as the
/// alternation would, in one pass. A whitespace run followed by something else inside the
/// same stretch gives up its last scalar (so that `" word"` keeps its leading space); a run
/// that ends the stretch is kept whole. The digit split comes first, so a whitespace run
/// before a digit ends its stretch and stays whole (`"a   1"` → `a`, `   `, `1`).
public struct ByteLevelPreTokenizer: Sendable {
    /// Whether number scalars are split one by one before the pattern runs (SmolLM2: yes;
    /// GPT-2: no, then `" 123"` is one word).
    public var splitsDigitsIndividually: Bool

    public init(splitsDigitsIndividually: Bool = true) {
        self.splitsDigitsIndividually = splitsDigitsIndividually
    }

    /// The words of `scalars[range]`, as ranges of `scalars`, in order, covering the range.
    public func words(in scalars: [Unicode.Scalar], range: Range<Int>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        guard splitsDigitsIndividually else {
            scanStretch(scalars, range, into: &words)
            return words
        }
        var stretchStart = range.lowerBound
        for index in range where Self.isNumber(scalars[index]) {
            if stretchStart < index { scanStretch(scalars, stretchStart..<index, into: &words) }
            words.append(index..<(index + 1))
            stretchStart = index + 1
        }
        if stretchStart < range.upperBound { scanStretch(scalars, stretchStart..<range.upperBound, into: &words) }
        return words
    }

    /// The words of a whole string, as strings (for tests and inspection).
    public func words(of text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return words(in: scalars, range: 0..<scalars.count).map { range in
            var word = String.UnicodeScalarView()
            word.append(contentsOf: scalars[range])
            return String(word)
        }
    }

    // MARK: The GPT-2 pattern

    private func scanStretch(_ scalars: [Unicode.Scalar], _ stretch: Range<Int>, into words: inout [Range<Int>]) {
        let end = stretch.upperBound
        var position = stretch.lowerBound
        while position < end {
            let length = matchLength(scalars, at: position, end: end)
            words.append(position..<(position + length))
            position += length
        }
    }

    /// The length (at least 1) of the pattern's match at `position`, not reaching `end`.
    private func matchLength(_ scalars: [Unicode.Scalar], at position: Int, end: Int) -> Int {
        let first = scalars[position]
        if first == "'", let contraction = contractionLength(scalars, at: position, end: end) {
            return contraction
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional leading space, then a run.
        let runStart = (first == " " && position + 1 < end) ? position + 1 : position
        let lead = scalars[runStart]
        if !Self.isWhitespace(lead) {
            let kind = Self.kind(of: lead)
            var runEnd = runStart + 1
            while runEnd < end, Self.kind(of: scalars[runEnd]) == kind { runEnd += 1 }
            return runEnd - position
        }
        // `\s+(?!\S)|\s+`: here `first` is whitespace (a lone space before whitespace included).
        var runEnd = position + 1
        while runEnd < end, Self.isWhitespace(scalars[runEnd]) { runEnd += 1 }
        if runEnd == end || runEnd - position == 1 { return runEnd - position }
        return runEnd - position - 1
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` (case-sensitive) at `position`, which holds an apostrophe.
    private func contractionLength(_ scalars: [Unicode.Scalar], at position: Int, end: Int) -> Int? {
        guard position + 1 < end else { return nil }
        switch scalars[position + 1] {
        case "s", "t", "m", "d":
            return 2
        case "r", "v", "l":
            guard position + 2 < end else { return nil }
            let pair = (scalars[position + 1], scalars[position + 2])
            return pair == ("r", "e") || pair == ("v", "e") || pair == ("l", "l") ? 3 : nil
        default:
            return nil
        }
    }

    // MARK: Character classes

    /// The classes of the pattern: `\p{L}`, `\p{N}`, `\s` and everything else.
    private enum Kind: Equatable {
        case letter, number, whitespace, other
    }

    private static func kind(of scalar: Unicode.Scalar) -> Kind {
        if isWhitespace(scalar) { return .whitespace }
        if isLetter(scalar) { return .letter }
        if isNumber(scalar) { return .number }
        return .other
    }

    /// `\s`: the Unicode White_Space property.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar == " " || (0x09...0x0D).contains(scalar.value) }
        return scalar.properties.isWhitespace
    }

    /// `\p{L}`: general categories Lu, Ll, Lt, Lm, Lo.
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return (0x41...0x5A).contains(scalar.value) || (0x61...0x7A).contains(scalar.value)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}`: general categories Nd, Nl, No.
    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return (0x30...0x39).contains(scalar.value) }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
}
