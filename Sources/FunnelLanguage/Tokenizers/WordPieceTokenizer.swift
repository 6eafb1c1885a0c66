import Foundation

/// BERT's WordPiece tokenizer (all-MiniLM-L6-v2 uses the uncased one): ``BertBasicTokenizer``
/// splits the text into words, and each word is cut greedily into the longest vocabulary
/// pieces from its start, continuation pieces spelled with a `##` prefix. A word longer than
/// ``maximumWordLength`` scalars, or one that cannot be cut entirely into pieces, becomes
/// `[UNK]`. ``encode(_:maximumLength:)`` wraps the ids in `[CLS] … [SEP]`.
public struct WordPieceTokenizer: Sendable {
    /// The vocabulary by id.
    public let tokens: [String]
    /// Ids by the token's exact UTF-8 bytes (not by `String`, whose equality is canonical
    /// equivalence: two vocabulary lines that differ only in normalisation stay distinct).
    private let idOfBytes: [[UInt8]: Int32]
    public let basicTokenizer: BertBasicTokenizer
    public let unknownId: Int32
    public let classId: Int32
    public let separatorId: Int32
    public let paddingId: Int32?
    /// Words longer than this many scalars become `[UNK]` (BERT: 100).
    public var maximumWordLength = 100

    public var vocabularySize: Int { tokens.count }

    /// Builds the tokenizer from a vocabulary listed in id order.
    /// - Throws: ``LanguageFileError`` (field `token`, located by 1-based line) for an empty
    ///   token or a repeated one, and (field `vocabulary`) when `[UNK]`, `[CLS]` or `[SEP]` is missing.
    public init(tokens: [String], lowercases: Bool = true, file: String = "<vocabulary>") throws {
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() {
            guard !token.isEmpty else {
                throw LanguageFileError(file: file, field: "token", location: .line(index + 1), reason: "an empty line; expected a token")
            }
            if let earlier = ids.updateValue(Int32(index), forKey: Array(token.utf8)) {
                throw LanguageFileError(file: file, field: "token", location: .line(index + 1), reason: "\(token.debugDescription) repeats line \(earlier + 1)")
            }
        }
        func required(_ token: String) throws -> Int32 {
            guard let id = ids[Array(token.utf8)] else {
                throw LanguageFileError(file: file, field: "vocabulary", reason: "no \(token) token; expected [UNK], [CLS] and [SEP]")
            }
            return id
        }
        self.tokens = tokens
        self.idOfBytes = ids
        self.basicTokenizer = BertBasicTokenizer(lowercases: lowercases)
        self.unknownId = try required("[UNK]")
        self.classId = try required("[CLS]")
        self.separatorId = try required("[SEP]")
        self.paddingId = ids[Array("[PAD]".utf8)]
    }

    /// Reads a `vocab.txt`: one token per line, the line's index (from 0) its id; a final
    /// newline is allowed, as are `\r\n` line ends.
    public init(vocabularyFile path: String, lowercases: Bool = true) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LanguageFileError(file: path, field: "vocabulary", reason: "cannot be read: \(error.localizedDescription)")
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var tokens: [String] = []
        tokens.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            let bytes = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            guard let token = String(validating: bytes, as: UTF8.self) else {
                throw LanguageFileError(file: path, field: "token", location: .line(index + 1), reason: "not UTF-8")
            }
            tokens.append(token)
        }
        try self.init(tokens: tokens, lowercases: lowercases, file: path)
    }

    /// The id of a token spelled exactly so, if the vocabulary has it.
    public func id(of token: String) -> Int32? {
        idOfBytes[Array(token.utf8)]
    }

    /// The WordPiece ids of `text`, without `[CLS]` and `[SEP]`.
    public func tokenize(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for word in basicTokenizer.words(of: text) {
            appendPieces(of: word, to: &ids)
        }
        return ids
    }

    /// `[CLS]`, the ids of `text`, `[SEP]`; with `maximumLength`, the word pieces are cut so
    /// that the whole (both markers included) holds at most that many ids (MiniLM: 256).
    public func encode(_ text: String, maximumLength: Int? = nil) -> [Int32] {
        var pieces = tokenize(text)
        if let maximumLength {
            pieces = Array(pieces.prefix(max(0, maximumLength - 2)))
        }
        return [classId] + pieces + [separatorId]
    }

    /// The tokens of the ids joined by spaces, `##` continuations glued to the piece before.
    public func decode(_ ids: [Int32]) -> String {
        var text = ""
        for id in ids {
            guard id >= 0, Int(id) < tokens.count else { continue }
            let token = tokens[Int(id)]
            if token.hasPrefix("##") {
                text += token.dropFirst(2)
            } else {
                if !text.isEmpty { text += " " }
                text += token
            }
        }
        return text
    }

    /// Greedy longest-match-first: from each start, the longest piece in the vocabulary.
    private func appendPieces(of word: String, to ids: inout [Int32]) {
        let scalars = Array(word.unicodeScalars)
        guard scalars.count <= maximumWordLength else {
            ids.append(unknownId)
            return
        }
        var pieces: [Int32] = []
        var start = 0
        var bytes: [UInt8] = []
        while start < scalars.count {
            var end = scalars.count
            var found: Int32?
            while end > start {
                bytes.removeAll(keepingCapacity: true)
                if start > 0 { bytes.append(contentsOf: [UInt8(ascii: "#"), UInt8(ascii: "#")]) }
                for scalar in scalars[start..<end] { UTF8.encode(scalar) { bytes.append($0) } }
                if let id = idOfBytes[bytes] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                ids.append(unknownId)
                return
            }
            pieces.append(found)
            start = end
        }
        ids.append(contentsOf: pieces)
    }
}
