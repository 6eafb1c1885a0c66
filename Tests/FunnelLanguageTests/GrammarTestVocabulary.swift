import Foundation
import FunnelTensor
@testable import FunnelLanguage

/// Vocabularies and models shared by the constrained-decoding tests.
enum GrammarTestVocabulary {
    /// The merged tokens of ``tiny`` after the 256 byte tokens (ids 256…).
    static let merged = [
        "Ask", "Ask[", "Which", " genre", "?]", "]]", "Rec", "ommend", "é", "[Wh", "{\"", "\":",
        "true", "\"}",
    ]

    /// A hand-made byte-level vocabulary: byte tokens 0–255 (id = byte), ``merged`` from 256,
    /// then the control tokens `<|im_start|>` and `<|im_end|>` (the end of sequence).
    static func tiny() throws -> ByteLevelBPETokenizer {
        let spell = { (text: String) in ByteUnicodeMapping.encode(Array(text.utf8)) }
        let tokens =
            (0..<256).map { ByteUnicodeMapping.encode([UInt8($0)]) } + merged.map(spell) + [
                "<|im_start|>", "<|im_end|>",
            ]
        let types = [Int32](repeating: 1, count: 256 + merged.count) + [3, 3]
        return try ByteLevelBPETokenizer(
            tokens: tokens, tokenTypes: types, merges: [],
            specialTokens: .init(endOfSequence: Int32(tokens.count - 1)))
    }

    /// The id of a merged token of ``tiny``.
    static func id(_ text: String) -> Int32 {
        Int32(256 + (merged.firstIndex(of: text) ?? -257))
    }

    /// An ECPO-rater-like schema whose documents are bounded (short strings, small arrays).
    static var raterSchema: [String: Any] {
        [
            "type": "object", "required": ["reason", "rating", "liked", "tags"],
            "properties": [
                "reason": ["type": "string", "maxLength": 12],
                "rating": ["type": "integer", "minimum": 0, "maximum": 5],
                "liked": ["type": "boolean"],
                "tags": [
                    "type": "array", "items": ["enum": ["plot", "style", "pace"]], "maxItems": 2,
                ],
            ] as [String: Any],
        ]
    }

    /// The real SmolLM2 tokenizer, loaded once.
    static let smolLM2: Result<ByteLevelBPETokenizer, any Error> = Result {
        try TokenizerReference.smolLM2Tokenizer()
    }

    /// The allowed set by brute force: every token whose bytes the automaton takes from
    /// `state`, and the end of sequence in accepting states.
    static func bruteForceAllowed(
        _ automaton: ByteAutomaton, state: Int, tokenizer: ByteLevelBPETokenizer
    ) -> TokenSet {
        var allowed = TokenSet(capacity: tokenizer.vocabularySize)
        for id in 0..<tokenizer.vocabularySize {
            let type = tokenizer.tokenTypes[id]
            guard type == .normal || type == .byte,
                Int32(id) != tokenizer.specialTokens.endOfSequence
            else { continue }
            let bytes = tokenizer.decodedBytes([Int32(id)])
            if !bytes.isEmpty, automaton.run(bytes, from: state) != nil {
                allowed.insert(Int32(id))
            }
        }
        if automaton.isAccepting(state), let end = tokenizer.specialTokens.endOfSequence {
            allowed.insert(end)
        }
        return allowed
    }
}

/// An adversarial "model": every step a fresh seeded random logits vector (a random cyclic
/// shift of a fixed Gaussian vector plus random spikes, so a debug build stays fast), knowing
/// nothing about the grammar.
struct RandomLogitsModel {
    private let base: [Float]
    private var generator: RandomGenerator

    init(vocabularySize: Int, seed: UInt64) {
        var baseGenerator = RandomGenerator(seed: 0x5EED)
        base = (0..<vocabularySize).map { _ in 2 * baseGenerator.nextNormal() }
        generator = RandomGenerator(seed: seed)
    }

    mutating func next() -> [Float] {
        let count = base.count
        let offset = Int(generator.next() % UInt64(count))
        var logits = Array(base[offset...])
        logits.append(contentsOf: base[..<offset])
        for _ in 0..<32 {
            logits[Int(generator.next() % UInt64(count))] += 8 * generator.nextUnitFloat()
        }
        return logits
    }
}
