import Foundation
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

/// A tiny byte-level vocabulary: the 256 byte tokens (id = byte), then `extra` tokens (given
/// as plain text, stored in alphabet form), then control tokens.
private func tinyTokenizer(extra: [String], merges: [(String, String)], control: [String] = ["<|im_start|>", "<|im_end|>"]) throws -> ByteLevelBPETokenizer {
    let spell = { (text: String) in ByteUnicodeMapping.encode(Array(text.utf8)) }
    let tokens = (0..<256).map { ByteUnicodeMapping.encode([UInt8($0)]) } + extra.map(spell) + control
    let types = [Int32](repeating: 1, count: 256 + extra.count) + [Int32](repeating: 3, count: control.count)
    return try ByteLevelBPETokenizer(tokens: tokens, tokenTypes: types, merges: merges.map { spell($0.0) + " " + spell($0.1) })
}

private func id(_ tokenizer: ByteLevelBPETokenizer, _ text: String) -> Int32? {
    let spelling = ByteUnicodeMapping.encode(Array(text.utf8))
    return tokenizer.tokens.firstIndex(of: spelling).map { Int32($0) } ?? tokenizer.tokens.firstIndex(of: text).map { Int32($0) }
}

@Suite struct ByteLevelBPETokenizerTests {
    @Test func theByteAlphabetCoversEveryByteOnceAndShiftsTheUnprintable() {
        let scalars = ByteUnicodeMapping.scalarForByte
        #expect(Set(scalars).count == 256)
        #expect(scalars[0x20] == "Ġ")
        #expect(scalars[0x0A] == "Ċ")
        #expect(scalars[0x41] == "A")
        #expect(scalars[0x00] == "\u{100}")
        #expect(scalars[0xAD] == "\u{143}")
        let all = (0...255).map { UInt8($0) }
        #expect(ByteUnicodeMapping.decode(ByteUnicodeMapping.encode(all)) == all)
        #expect(ByteUnicodeMapping.decode("a b") == nil)   // a raw space is not in the alphabet
    }

    @Test func mergesApplyByRankNotByPosition() throws {
        let byRank = try tinyTokenizer(extra: ["ab", "bc", "abc"], merges: [("a", "b"), ("b", "c"), ("ab", "c")])
        #expect(byRank.encode("abc") == [try #require(id(byRank, "abc"))])
        let otherOrder = try tinyTokenizer(extra: ["ab", "bc", "abc"], merges: [("b", "c"), ("a", "b"), ("ab", "c")])
        #expect(otherOrder.encode("abc") == [97, try #require(id(otherOrder, "bc"))])
    }

    @Test func equalRanksMergeLeftmostFirst() throws {
        let tokenizer = try tinyTokenizer(extra: ["aa"], merges: [("a", "a")])
        let pair = try #require(id(tokenizer, "aa"))
        #expect(tokenizer.encode("aaa") == [pair, 97])
        #expect(tokenizer.encode("aaaa") == [pair, pair])
    }

    @Test func mergesStayInsideWords() throws {
        let tokenizer = try tinyTokenizer(extra: ["ab", " b"], merges: [("a", "b"), (" ", "b")])
        // "a b": words "a" and " b"; "ab" never forms across the space.
        #expect(tokenizer.encode("a b") == [97, try #require(id(tokenizer, " b"))])
    }

    @Test func everyByteFallsBackToItsOwnToken() throws {
        let tokenizer = try tinyTokenizer(extra: [], merges: [])
        #expect(tokenizer.encode("é€") == [0xC3, 0xA9, 0xE2, 0x82, 0xAC])
        #expect(tokenizer.encode("\u{0}\u{7F}") == [0x00, 0x7F])
        #expect(tokenizer.tokenString(0x20) == "Ġ")
        #expect(tokenizer.vocabularySize == 258)
    }

    @Test func controlTokensAreCutOutOnlyWhenParsingSpecial() throws {
        let tokenizer = try tinyTokenizer(extra: [], merges: [])
        let start = try #require(id(tokenizer, "<|im_start|>"))
        let end = try #require(id(tokenizer, "<|im_end|>"))
        #expect(tokenizer.encode("<|im_start|>hi<|im_end|>") == [start, 104, 105, end])
        let plain = tokenizer.encode("<|im_start|>", parseSpecial: false)
        #expect(plain == Array("<|im_start|>".utf8).map { Int32($0) })
        #expect(tokenizer.decode(tokenizer.encode("x<|im_end|>\n")) == "x<|im_end|>\n")
    }

    @Test func decodeRoundTripsText() throws {
        let tokenizer = try tinyTokenizer(extra: ["ab", " a", "  "], merges: [("a", "b"), (" ", "a"), (" ", " ")])
        for text in ["", "ab ab  ab", "Grüße, 世界! 👩‍💻 🇩🇪", "tab\tnew\nline\r\n  ", "<|im_start|>x"] {
            #expect(tokenizer.decode(tokenizer.encode(text)) == text)
        }
    }

    @Test func aPartialCharacterDecodesToOneReplacementAtTheEnd() throws {
        let tokenizer = try tinyTokenizer(extra: [], merges: [])
        let euro = tokenizer.encode("€")   // E2 82 AC, one token per byte
        #expect(euro.count == 3)
        #expect(tokenizer.decode(euro) == "€")
        #expect(tokenizer.decode([97] + euro.prefix(2)) == "a\u{FFFD}")
        #expect(tokenizer.decodedBytes(euro.prefix(1)) == [0xE2])
        #expect(tokenizer.decode([97, 1_000_000]) == "a\u{FFFD}")
    }

    @Test func preTokenizerSplitsLikeTheSmolLMPattern() {
        let smol = ByteLevelPreTokenizer(splitsDigitsIndividually: true)
        #expect(smol.words(of: "Hello world's end") == ["Hello", " world", "'s", " end"])
        // A whitespace run before a non-space keeps its last scalar apart: `\s+(?!\S)` backs off one.
        #expect(smol.words(of: "a   b\n\nc") == ["a", "  ", " b", "\n", "\n", "c"])
        #expect(smol.words(of: "a\n\n\n") == ["a", "\n\n\n"])
        #expect(smol.words(of: "x 12345 678") == ["x", " ", "1", "2", "3", "4", "5", " ", "6", "7", "8"])
        #expect(smol.words(of: "a   1") == ["a", "   ", "1"])
        #expect(smol.words(of: "(foo) !?") == ["(", "foo", ")", " !?"])
        #expect(smol.words(of: "DON'T ''x") == ["DON", "'", "T", " ''", "x"])   // contractions are lower-case only
        #expect(smol.words(of: "end  ") == ["end", "  "])
        let gpt2 = ByteLevelPreTokenizer(splitsDigitsIndividually: false)
        #expect(gpt2.words(of: "x 12345") == ["x", " 12345"])
    }

    @Test func malformedArraysAreRefusedWithTheField() throws {
        let tokens = (0..<256).map { ByteUnicodeMapping.encode([UInt8($0)]) }
        let types = [Int32](repeating: 1, count: 256)
        #expect(throws: LanguageFileError.self) { try ByteLevelBPETokenizer(tokens: tokens, tokenTypes: [1], merges: []) }
        do {
            _ = try ByteLevelBPETokenizer(tokens: tokens, tokenTypes: types, merges: ["a zz"], file: "m.gguf")
            Issue.record("a merge naming a missing token was accepted")
        } catch let error as LanguageFileError {
            #expect(error.field == "tokenizer.ggml.merges")
            #expect(error.file == "m.gguf")
        }
        #expect(throws: LanguageFileError.self) { try ByteLevelBPETokenizer(tokens: tokens + ["a"], tokenTypes: types + [1], merges: []) }
        #expect(throws: LanguageFileError.self) { try ByteLevelBPETokenizer(tokens: Array(tokens.dropLast()), tokenTypes: Array(types.dropLast()), merges: []) }
        #expect(throws: LanguageFileError.self) {
            try ByteLevelBPETokenizer(tokens: tokens, tokenTypes: types, merges: [], specialTokens: .init(endOfSequence: 999))
        }
    }

    // MARK: The real SmolLM2 vocabulary

    @Test(.needsLanguageModels)
    func smolLMIdsMatchTheReference() throws {
        let tokenizer = try TokenizerReference.smolLM2Tokenizer()
        let reference = try TokenizerReference.object("smollm2-reference")
        #expect(tokenizer.vocabularySize == (reference["vocabularySize"] as? Int))
        #expect(tokenizer.specialTokens == .init(beginOfSequence: 1, endOfSequence: 2, unknown: 0, padding: 2))
        let encodings = try #require(reference["encodings"] as? [[String: Any]])
        #expect(encodings.count >= 12)
        for encoding in encodings {
            let text = try #require(encoding["text"] as? String)
            let expected = try TokenizerReference.ids(encoding["ids"])
            let ids = tokenizer.encode(text)
            #expect(ids == expected, "\(text.debugDescription)")
            #expect(tokenizer.decode(ids) == text)
        }
    }

    @Test(.needsLanguageModels)
    func smolLMIdsMatchTheReferenceOnRandomMixtures() throws {
        let tokenizer = try TokenizerReference.smolLM2Tokenizer()
        let rows = try TokenizerReference.randomMixtures("smollm2-random")
        #expect(rows.count >= 500)
        var mismatches = 0
        for row in rows {
            let ids = tokenizer.encode(row.text)
            if ids != row.ids {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(row.text.debugDescription): \(ids) != \(row.ids)") }
            }
            #expect(tokenizer.decode(ids) == row.text)
        }
        #expect(mismatches == 0)
    }
}
