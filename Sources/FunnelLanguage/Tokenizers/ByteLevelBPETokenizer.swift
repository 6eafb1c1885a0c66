/// The byte-level BPE tokenizer of GPT-2-style models such as SmolLM2 (GGUF
/// `tokenizer.ggml.model = "gpt2"`).
///
/// Encoding: control tokens (`<|im_start|>` …, when `parseSpecial` is on) and user-defined
/// tokens are first cut out of the text verbatim, longest first; every other stretch is split
/// into words by ``ByteLevelPreTokenizer``, each word's UTF-8 bytes become one symbol per byte
/// (the vocabulary spells byte `b` as ``ByteUnicodeMapping/scalarForByte``), and the ranked
/// merges join them (``BytePairMerger``). Decoding maps every token back to its bytes and
/// converts the joined bytes to text once, so a character split across tokens comes back whole.
public struct ByteLevelBPETokenizer: Sendable {
    /// GGUF token types (`tokenizer.ggml.token_type`).
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// The ids of the tokens with a role, where the model names them.
    public struct SpecialTokenIds: Sendable, Equatable {
        public var beginOfSequence: Int32?
        public var endOfSequence: Int32?
        public var unknown: Int32?
        public var padding: Int32?

        public init(beginOfSequence: Int32? = nil, endOfSequence: Int32? = nil, unknown: Int32? = nil, padding: Int32? = nil) {
            self.beginOfSequence = beginOfSequence
            self.endOfSequence = endOfSequence
            self.unknown = unknown
            self.padding = padding
        }
    }

    /// A token cut out of the text verbatim before pre-tokenisation.
    private struct VerbatimToken: Sendable {
        var scalars: [Unicode.Scalar]
        var id: Int32
        var isControl: Bool
    }

    /// The vocabulary, indexed by id, as stored (alphabet strings for normal tokens).
    public let tokens: [String]
    /// Each token's type.
    public let tokenTypes: [TokenType]
    /// The ids with a role.
    public let specialTokens: SpecialTokenIds
    /// How text is split into words.
    public let preTokenizer: ByteLevelPreTokenizer

    private let tokenBytes: [[UInt8]]
    /// Verbatim tokens by their first scalar, longest first.
    private let verbatimTokens: [Unicode.Scalar: [VerbatimToken]]
    private let merger: BytePairMerger

    /// The number of tokens.
    public var vocabularySize: Int { tokens.count }

    /// Builds a tokenizer from GGUF-style arrays.
    ///
    /// - Parameters:
    ///   - tokens: `tokenizer.ggml.tokens`; the id is the index.
    ///   - tokenTypes: `tokenizer.ggml.token_type`, one per token (1 normal, 2 unknown,
    ///     3 control, 4 user-defined, 5 unused, 6 byte).
    ///   - merges: `tokenizer.ggml.merges`, `"left right"`; the rank is the index.
    ///   - specialTokens: the ids with a role (checked to lie in the vocabulary).
    ///   - file: the file named in a refusal.
    /// - Throws: ``LanguageFileError`` when the arrays disagree in length, a token type is
    ///   unknown, a token is repeated, a merge is malformed or names a token not in the
    ///   vocabulary, a special id is out of range, or a byte has no token and there is no
    ///   unknown token to stand for it.
    public init(
        tokens: [String],
        tokenTypes: [Int32],
        merges: [String],
        specialTokens: SpecialTokenIds = SpecialTokenIds(),
        preTokenizer: ByteLevelPreTokenizer = ByteLevelPreTokenizer(),
        file: String = "<arrays>"
    ) throws {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw LanguageFileError(file: file, field: "tokenizer.ggml.tokens", reason: "\(tokens.count) tokens; expected 1 to \(Int32.max - 1)")
        }
        guard tokenTypes.count == tokens.count else {
            throw LanguageFileError(file: file, field: "tokenizer.ggml.token_type", reason: "\(tokenTypes.count) types for \(tokens.count) tokens; expected one per token")
        }
        var types: [TokenType] = []
        types.reserveCapacity(tokens.count)
        for (index, raw) in tokenTypes.enumerated() {
            guard let type = TokenType(rawValue: raw) else {
                throw LanguageFileError(file: file, field: "tokenizer.ggml.token_type", reason: "token \(index) has type \(raw); expected 1 to 6")
            }
            types.append(type)
        }
        var idOf: [String: Int32] = [:]
        idOf.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() {
            if let earlier = idOf.updateValue(Int32(index), forKey: token) {
                throw LanguageFileError(file: file, field: "tokenizer.ggml.tokens", reason: "token \(index) \(token.debugDescription) repeats token \(earlier)")
            }
        }
        for (role, id) in [("bos", specialTokens.beginOfSequence), ("eos", specialTokens.endOfSequence), ("unknown", specialTokens.unknown), ("padding", specialTokens.padding)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw LanguageFileError(file: file, field: "tokenizer.ggml.\(role)_token_id", reason: "id \(id); expected 0..<\(tokens.count)")
            }
        }

        var mergeTable: [UInt64: BytePairMerger.Merge] = [:]
        mergeTable.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw LanguageFileError(file: file, field: "tokenizer.ggml.merges", reason: "merge \(rank) \(merge.debugDescription); expected two tokens separated by one space")
            }
            guard let left = idOf[String(parts[0])], let right = idOf[String(parts[1])], let result = idOf[String(parts[0]) + String(parts[1])] else {
                throw LanguageFileError(file: file, field: "tokenizer.ggml.merges", reason: "merge \(rank) \(merge.debugDescription) names a token not in the vocabulary")
            }
            let key = BytePairMerger.key(left, right)
            if mergeTable[key] == nil { mergeTable[key] = BytePairMerger.Merge(rank: Int32(rank), result: result) }
        }

        var byteTokens = [Int32?](repeating: nil, count: 256)
        for byte in 0..<256 {
            let spelling = String(Character(ByteUnicodeMapping.scalarForByte[byte]))
            if let id = idOf[spelling], types[Int(id)] == .normal { byteTokens[byte] = id }
        }
        if specialTokens.unknown == nil, let missing = byteTokens.firstIndex(where: { $0 == nil }) {
            throw LanguageFileError(file: file, field: "tokenizer.ggml.tokens", reason: "no token for byte 0x\(String(missing, radix: 16)) and no unknown token; a byte-level vocabulary spells all 256 bytes")
        }

        var bytesOfTokens: [[UInt8]] = []
        bytesOfTokens.reserveCapacity(tokens.count)
        var verbatim: [Unicode.Scalar: [VerbatimToken]] = [:]
        for (index, token) in tokens.enumerated() {
            switch types[index] {
            case .normal:
                bytesOfTokens.append(ByteUnicodeMapping.decode(token) ?? Array(token.utf8))
            case .byte:
                bytesOfTokens.append(Self.byteTokenValue(token).map { [$0] } ?? Array(token.utf8))
            case .control, .userDefined:
                bytesOfTokens.append(Array(token.utf8))
                let scalars = Array(token.unicodeScalars)
                if let first = scalars.first {
                    verbatim[first, default: []].append(VerbatimToken(scalars: scalars, id: Int32(index), isControl: types[index] == .control))
                }
            case .unknown, .unused:
                bytesOfTokens.append(Array(token.utf8))
            }
        }
        for key in verbatim.keys { verbatim[key]?.sort { $0.scalars.count > $1.scalars.count } }

        self.tokens = tokens
        self.tokenTypes = types
        self.specialTokens = specialTokens
        self.preTokenizer = preTokenizer
        self.tokenBytes = bytesOfTokens
        self.verbatimTokens = verbatim
        self.merger = BytePairMerger(merges: mergeTable, byteTokens: byteTokens, unknownId: specialTokens.unknown)
    }

    /// The byte of a `<0xHH>` token.
    private static func byteTokenValue(_ token: String) -> UInt8? {
        guard token.hasPrefix("<0x"), token.hasSuffix(">"), token.utf8.count == 6 else { return nil }
        return UInt8(token.dropFirst(3).dropLast(), radix: 16)
    }

    // MARK: Encoding

    /// The ids of `text`. With `parseSpecial` (the default) control tokens written in the text
    /// (`<|im_start|>`) become their ids; without it they are encoded as ordinary text.
    /// User-defined tokens are always matched. No begin-of-sequence token is added.
    public func encode(_ text: String, parseSpecial: Bool = true) -> [Int32] {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int32] = []
        ids.reserveCapacity(scalars.count / 3 + 1)
        var stretchStart = 0
        var position = 0
        while position < scalars.count {
            if let candidates = verbatimTokens[scalars[position]],
               let match = candidates.first(where: { (parseSpecial || !$0.isControl) && Self.matches($0.scalars, in: scalars, at: position) }) {
                encodeStretch(scalars, stretchStart..<position, into: &ids)
                ids.append(match.id)
                position += match.scalars.count
                stretchStart = position
            } else {
                position += 1
            }
        }
        encodeStretch(scalars, stretchStart..<scalars.count, into: &ids)
        return ids
    }

    private static func matches(_ pattern: [Unicode.Scalar], in scalars: [Unicode.Scalar], at position: Int) -> Bool {
        guard position + pattern.count <= scalars.count else { return false }
        for offset in 0..<pattern.count where scalars[position + offset] != pattern[offset] { return false }
        return true
    }

    private func encodeStretch(_ scalars: [Unicode.Scalar], _ range: Range<Int>, into ids: inout [Int32]) {
        guard !range.isEmpty else { return }
        var bytes: [UInt8] = []
        for word in preTokenizer.words(in: scalars, range: range) {
            bytes.removeAll(keepingCapacity: true)
            for scalar in scalars[word] {
                UTF8.encode(scalar) { bytes.append($0) }
            }
            merger.encodeWord(bytes, into: &ids)
        }
    }

    // MARK: Decoding

    /// The bytes the ids stand for; an id outside the vocabulary gives U+FFFD's bytes.
    public func decodedBytes<Ids: Sequence>(_ ids: Ids) -> [UInt8] where Ids.Element == Int32 {
        var bytes: [UInt8] = []
        for id in ids {
            if id >= 0, Int(id) < tokenBytes.count {
                bytes.append(contentsOf: tokenBytes[Int(id)])
            } else {
                bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
            }
        }
        return bytes
    }

    /// The text of the ids: all bytes are joined first and converted once, so only bytes that
    /// do not form UTF-8 as a whole (an incomplete character at the end, say) become U+FFFD.
    /// Control tokens come back as written (`<|im_end|>`).
    public func decode<Ids: Sequence>(_ ids: Ids) -> String where Ids.Element == Int32 {
        String(decoding: decodedBytes(ids), as: UTF8.self)
    }

    /// The token as stored in the vocabulary (alphabet form for normal tokens), or nil for an
    /// id outside it.
    public func tokenString(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }
}

extension ByteLevelBPETokenizer {
    /// Builds the tokenizer from a GGUF's checked tokenizer fields: the one place that maps
    /// ``TokenizerFields`` to a tokenizer.
    /// - Throws: ``LanguageFileError`` naming ``TokenizerFields/file`` when the arrays do not
    ///   form a vocabulary (see ``init(tokens:tokenTypes:merges:specialTokens:preTokenizer:file:)``).
    public init(fields: TokenizerFields) throws {
        try self.init(
            tokens: fields.tokens,
            tokenTypes: fields.tokenTypes,
            merges: fields.merges,
            specialTokens: fields.specialTokens,
            preTokenizer: fields.preTokenizer,
            file: fields.file
        )
    }

    /// Builds the tokenizer from the `tokenizer.ggml.*` metadata of `gguf`.
    /// - Throws: ``LanguageFileError`` naming the file and the field at fault.
    public init(gguf: GGUFFile) throws {
        try self.init(fields: TokenizerFields(gguf: gguf))
    }
}
