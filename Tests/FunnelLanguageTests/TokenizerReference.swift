import Foundation
import FunnelLanguage
import FunnelTestSupport
import Testing

/// The committed reference token ids in `Fixtures/tokenizer/` (written by
/// `Scripts/tokenizer_reference.py`), and the real tokenizers they were made from, opened from
/// the model cache (``LanguageModels``). Tests that use the tokenizers carry
/// `.needsLanguageModels`.
enum TokenizerReference {
    /// A fixture object such as `smollm2-reference` (`Fixtures/tokenizer/<name>.json`).
    static func object(_ name: String) throws -> [String: Any] {
        try #require(try json(name) as? [String: Any])
    }

    /// The texts and ids of a random-mixture fixture (`smollm2-random`, `minilm-random`).
    static func randomMixtures(_ name: String) throws -> [(text: String, ids: [Int32])] {
        let rows = try #require(try json(name) as? [[String: Any]])
        return try rows.map { (try #require($0["text"] as? String), try ids($0["ids"])) }
    }

    /// Ids from a JSON array of numbers.
    static func ids(_ value: Any?) throws -> [Int32] {
        let numbers = try #require(value as? [NSNumber])
        return numbers.map { Int32(truncating: $0) }
    }

    /// SmolLM2-135M-Instruct's byte-level BPE tokenizer, from its GGUF in the model cache.
    static func smolLM2Tokenizer() throws -> ByteLevelBPETokenizer {
        try ByteLevelBPETokenizer(gguf: GGUFFile(path: LanguageModels.smolLM2GGUF))
    }

    /// all-MiniLM-L6-v2's WordPiece tokenizer, from its vocab.txt in the model cache.
    static func miniLMTokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyFile: LanguageModels.miniLMVocabulary)
    }

    private static func json(_ name: String) throws -> Any {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/tokenizer/\(name)", withExtension: "json"))
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }
}
