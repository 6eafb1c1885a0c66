import Foundation

/// The hyperparameters of a BERT encoder (Devlin et al., NAACL 2019, arXiv 1810.04805) as
/// Hugging Face's `config.json` states them; all-MiniLM-L6-v2 (Sentence-BERT, Reimers &
/// Gurevych, EMNLP 2019, arXiv 1908.10084) is a 6-layer BERT with hidden width 384, 12 heads,
/// intermediate width 1536, 512 positions, 2 token types and a 30522-token vocabulary.
///
/// Only what the forward pass of ``BertEncoder`` needs is read; every such field must be
/// present and of the right type, `model_type` must be `bert`, `hidden_act` (when given)
/// `gelu` (the erf form) and `position_embedding_type` (when given) `absolute`.
public struct BertConfiguration: Equatable, Sendable {
    /// `vocab_size`: rows of the word-embedding table.
    public var vocabularySize: Int
    /// `hidden_size`: the width of every token's state.
    public var hiddenSize: Int
    /// `num_hidden_layers`: how many transformer blocks.
    public var layerCount: Int
    /// `num_attention_heads`: divides ``hiddenSize``.
    public var headCount: Int
    /// `intermediate_size`: the width of the feed-forward layer.
    public var intermediateSize: Int
    /// `max_position_embeddings`: the longest sequence (rows of the position table).
    public var maximumPositions: Int
    /// `type_vocab_size`: rows of the token-type table (only type 0 is used).
    public var typeVocabularySize: Int
    /// `layer_norm_eps`: the ε of every layer normalisation.
    public var layerNormalizationEpsilon: Float

    /// all-MiniLM-L6-v2's configuration.
    public static let miniLM = BertConfiguration(
        vocabularySize: 30522, hiddenSize: 384, layerCount: 6, headCount: 12,
        intermediateSize: 1536,
        maximumPositions: 512, typeVocabularySize: 2, layerNormalizationEpsilon: 1e-12)

    public init(
        vocabularySize: Int, hiddenSize: Int, layerCount: Int, headCount: Int,
        intermediateSize: Int,
        maximumPositions: Int, typeVocabularySize: Int, layerNormalizationEpsilon: Float
    ) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maximumPositions = maximumPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormalizationEpsilon = layerNormalizationEpsilon
    }

    /// Reads a `config.json`.
    /// - Throws: ``LanguageFileError`` when the file cannot be read or a field is refused.
    public init(file path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LanguageFileError(
                file: path, field: "config", reason: "cannot be read: \(error.localizedDescription)"
            )
        }
        try self.init(json: data, file: path)
    }

    /// Parses the text of a `config.json`; `file` names it in errors.
    /// - Throws: ``LanguageFileError`` naming the field: missing, mistyped, not positive, a
    ///   `model_type` other than `bert`, heads that do not divide the hidden width.
    public init(json data: Data, file: String = "<config.json>") throws {
        guard let object = try? JSONSerialization.jsonObject(with: data),
            let fields = object as? [String: Any]
        else {
            throw LanguageFileError(file: file, field: "config", reason: "is not a JSON object")
        }
        func string(_ key: String, required: Bool) throws -> String? {
            guard let value = fields[key] else {
                if required {
                    throw LanguageFileError(file: file, field: key, reason: "is missing")
                }
                return nil
            }
            guard let text = value as? String else {
                throw LanguageFileError(
                    file: file, field: key, reason: "is \(value); expected a string")
            }
            return text
        }
        func positiveInteger(_ key: String) throws -> Int {
            guard let value = fields[key] else {
                throw LanguageFileError(file: file, field: key, reason: "is missing")
            }
            guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue),
                integer > 0
            else {
                throw LanguageFileError(
                    file: file, field: key, reason: "is \(value); expected a positive integer")
            }
            return integer
        }
        let modelType = try string("model_type", required: true)
        guard modelType == "bert" else {
            throw LanguageFileError(
                file: file, field: "model_type", reason: "is \(modelType ?? ""); expected bert")
        }
        if let activation = try string("hidden_act", required: false), activation != "gelu" {
            throw LanguageFileError(
                file: file, field: "hidden_act", reason: "is \(activation); expected gelu")
        }
        if let positions = try string("position_embedding_type", required: false),
            positions != "absolute"
        {
            throw LanguageFileError(
                file: file, field: "position_embedding_type",
                reason: "is \(positions); expected absolute")
        }
        guard let epsilonValue = fields["layer_norm_eps"] else {
            throw LanguageFileError(file: file, field: "layer_norm_eps", reason: "is missing")
        }
        guard let epsilon = epsilonValue as? NSNumber, epsilon.doubleValue > 0,
            epsilon.doubleValue < 1
        else {
            throw LanguageFileError(
                file: file, field: "layer_norm_eps",
                reason: "is \(epsilonValue); expected a number in (0, 1)")
        }
        self.init(
            vocabularySize: try positiveInteger("vocab_size"),
            hiddenSize: try positiveInteger("hidden_size"),
            layerCount: try positiveInteger("num_hidden_layers"),
            headCount: try positiveInteger("num_attention_heads"),
            intermediateSize: try positiveInteger("intermediate_size"),
            maximumPositions: try positiveInteger("max_position_embeddings"),
            typeVocabularySize: try positiveInteger("type_vocab_size"),
            layerNormalizationEpsilon: Float(epsilon.doubleValue))
        guard hiddenSize % headCount == 0 else {
            throw LanguageFileError(
                file: file, field: "num_attention_heads",
                reason: "is \(headCount), which does not divide hidden_size \(hiddenSize)")
        }
    }

    /// The width of one attention head.
    public var headWidth: Int { hiddenSize / headCount }
}
