import Foundation

/// A GGUF model's tokenizer metadata (`tokenizer.ggml.*` and `tokenizer.chat_template`), as
/// exported to JSON by `Scripts/tokenizer_reference.py`. It stands in for the GGUF reader
/// until that is wired in: the keys are the GGUF key suffixes (`tokens`, `token_type`,
/// `merges`, `bos_token_id`, …, `pre`, `chat_template`).
public struct TokenizerFields: Decodable, Sendable {
    public var model: String?
    public var pre: String?
    public var tokens: [String]
    public var tokenTypes: [Int32]
    public var merges: [String]
    public var beginOfSequenceId: Int32?
    public var endOfSequenceId: Int32?
    public var unknownId: Int32?
    public var paddingId: Int32?
    public var chatTemplate: String?

    enum CodingKeys: String, CodingKey {
        case model, pre, tokens, merges
        case tokenTypes = "token_type"
        case beginOfSequenceId = "bos_token_id"
        case endOfSequenceId = "eos_token_id"
        case unknownId = "unknown_token_id"
        case paddingId = "padding_token_id"
        case chatTemplate = "chat_template"
    }

    /// Reads the JSON export at `path`.
    /// - Throws: ``LanguageFileError`` naming the file when it cannot be read or decoded.
    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LanguageFileError(file: path, field: "tokenizer", reason: "cannot be read: \(error.localizedDescription)")
        }
        do {
            self = try JSONDecoder().decode(TokenizerFields.self, from: data)
        } catch {
            throw LanguageFileError(file: path, field: "tokenizer", reason: "not a tokenizer field export: \(error)")
        }
    }

    /// The pre-tokenizer that `tokenizer.ggml.pre` names.
    /// - Throws: ``LanguageFileError`` for a model other than `gpt2` or a `pre` other than
    ///   `smollm` (digits split one by one) or `gpt2`/`default`/absent (GPT-2 pattern alone).
    public func preTokenizer(file: String) throws -> ByteLevelPreTokenizer {
        if let model, model != "gpt2" {
            throw LanguageFileError(file: file, field: "tokenizer.ggml.model", reason: "\(model.debugDescription); expected \"gpt2\" (byte-level BPE)")
        }
        switch pre {
        case "smollm"?: return ByteLevelPreTokenizer(splitsDigitsIndividually: true)
        case "gpt2"?, "default"?, nil: return ByteLevelPreTokenizer(splitsDigitsIndividually: false)
        case let other?:
            throw LanguageFileError(file: file, field: "tokenizer.ggml.pre", reason: "\(other.debugDescription); expected \"smollm\", \"gpt2\" or \"default\"")
        }
    }
}

extension ByteLevelBPETokenizer {
    /// Builds the tokenizer from exported GGUF tokenizer fields.
    public init(fields: TokenizerFields, file: String) throws {
        try self.init(
            tokens: fields.tokens,
            tokenTypes: fields.tokenTypes,
            merges: fields.merges,
            specialTokens: SpecialTokenIds(
                beginOfSequence: fields.beginOfSequenceId,
                endOfSequence: fields.endOfSequenceId,
                unknown: fields.unknownId,
                padding: fields.paddingId
            ),
            preTokenizer: fields.preTokenizer(file: file),
            file: file
        )
    }

    /// Builds the tokenizer from the JSON export of a GGUF's tokenizer fields
    /// (`<cache>/smollm2-135m-instruct/tokenizer-fields.json`).
    public init(fieldsJSON path: String) throws {
        try self.init(fields: TokenizerFields(contentsOf: path), file: path)
    }
}
