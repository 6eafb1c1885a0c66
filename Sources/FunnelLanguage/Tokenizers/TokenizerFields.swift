/// A GGUF model's byte-level BPE tokenizer metadata (ggml `docs/gguf.md`, "Tokenizer"), read
/// and checked from the file's metadata:
///
///     tokenizer.ggml.model             string, must be "gpt2" (byte-level BPE)
///     tokenizer.ggml.pre               string, optional: "smollm", "gpt2" or "default"
///     tokenizer.ggml.tokens            array of string
///     tokenizer.ggml.token_type        array of int32 (any integer type that fits)
///     tokenizer.ggml.merges            array of string, "left right"
///     tokenizer.ggml.bos_token_id      optional integer (uint32 in the files seen), also
///     tokenizer.ggml.eos_token_id, tokenizer.ggml.unknown_token_id, tokenizer.ggml.padding_token_id
///     tokenizer.chat_template          optional string (Jinja)
///
/// A missing required key or a value of the wrong type is refused by the ``GGUFFile``
/// metadata accessors: a ``LanguageFileError`` naming the file and `metadata[key]`. A model or
/// pre-tokenizer Funnel does not implement is refused the same way. ``ByteLevelBPETokenizer``
/// builds from these fields with ``ByteLevelBPETokenizer/init(fields:)``.
public struct TokenizerFields: Sendable {
    /// The file the fields were read from, named in later refusals.
    public var file: String
    /// `tokenizer.ggml.model`.
    public var model: String
    /// `tokenizer.ggml.pre`, when present.
    public var pre: String?
    /// `tokenizer.ggml.tokens`; the id is the index.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type`, one per token.
    public var tokenTypes: [Int32]
    /// `tokenizer.ggml.merges`; the rank is the index.
    public var merges: [String]
    /// The `tokenizer.ggml.*_token_id` values present.
    public var specialTokens: ByteLevelBPETokenizer.SpecialTokenIds
    /// `tokenizer.chat_template`, when present.
    public var chatTemplate: String?
    /// The pre-tokenizer that ``pre`` names.
    public var preTokenizer: ByteLevelPreTokenizer

    /// The metadata keys read.
    public enum Key {
        public static let model = "tokenizer.ggml.model"
        public static let pre = "tokenizer.ggml.pre"
        public static let tokens = "tokenizer.ggml.tokens"
        public static let tokenTypes = "tokenizer.ggml.token_type"
        public static let merges = "tokenizer.ggml.merges"
        public static let beginOfSequenceId = "tokenizer.ggml.bos_token_id"
        public static let endOfSequenceId = "tokenizer.ggml.eos_token_id"
        public static let unknownId = "tokenizer.ggml.unknown_token_id"
        public static let paddingId = "tokenizer.ggml.padding_token_id"
        public static let chatTemplate = "tokenizer.chat_template"
    }

    /// Reads the tokenizer fields of `gguf`.
    /// - Throws: ``LanguageFileError`` naming the file and `metadata[key]` when a required key
    ///   is missing, a value has the wrong type, a token id does not fit `Int32`, the model is
    ///   not `gpt2`, or the pre-tokenizer is not `smollm`, `gpt2` or `default`.
    public init(gguf: GGUFFile) throws {
        file = gguf.path
        model = try gguf.string(Key.model)
        guard model == "gpt2" else {
            throw Self.refusal(gguf, Key.model, "\(model.debugDescription); expected \"gpt2\" (byte-level BPE)")
        }
        pre = try gguf.metadata[Key.pre] == nil ? nil : gguf.string(Key.pre)
        switch pre {
        case "smollm"?: preTokenizer = ByteLevelPreTokenizer(splitsDigitsIndividually: true)
        case "gpt2"?, "default"?, nil: preTokenizer = ByteLevelPreTokenizer(splitsDigitsIndividually: false)
        case let other?:
            throw Self.refusal(gguf, Key.pre, "\(other.debugDescription); expected \"smollm\", \"gpt2\" or \"default\"")
        }
        tokens = try gguf.stringArray(Key.tokens)
        tokenTypes = try gguf.int32Array(Key.tokenTypes)
        merges = try gguf.stringArray(Key.merges)
        specialTokens = ByteLevelBPETokenizer.SpecialTokenIds(
            beginOfSequence: try Self.optionalTokenId(gguf, Key.beginOfSequenceId),
            endOfSequence: try Self.optionalTokenId(gguf, Key.endOfSequenceId),
            unknown: try Self.optionalTokenId(gguf, Key.unknownId),
            padding: try Self.optionalTokenId(gguf, Key.paddingId)
        )
        chatTemplate = try gguf.metadata[Key.chatTemplate] == nil ? nil : gguf.string(Key.chatTemplate)
    }

    /// An optional token id: absent is `nil`; present, it must be an integer that fits `Int32`.
    private static func optionalTokenId(_ gguf: GGUFFile, _ key: String) throws -> Int32? {
        guard gguf.metadata[key] != nil else { return nil }
        let value = try gguf.int(key)
        guard let id = Int32(exactly: value) else {
            throw refusal(gguf, key, "\(value); expected a token id that fits int32")
        }
        return id
    }

    /// A refusal of a value that has the right type but is not accepted.
    private static func refusal(_ gguf: GGUFFile, _ key: String, _ reason: String) -> LanguageFileError {
        LanguageFileError(file: gguf.path, field: "metadata[\(key)]", location: gguf.metadataOffsets[key].map { .byte($0) }, reason: reason)
    }
}
