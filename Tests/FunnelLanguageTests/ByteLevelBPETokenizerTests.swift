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

    /// Not a check: prints tokens/s when `FUNNEL_TOKENIZER_SPEED` is set.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FUNNEL_TOKENIZER_SPEED"] != nil), .needsLanguageModels)
    func smolLMEncodingSpeed() throws {
        let gguf = try GGUFFile(path: LanguageModels.smolLM2GGUF)
        let tokenizer = try ByteLevelBPETokenizer(gguf: gguf)
        for (name, text) in [
            ("English 100 KB", SyntheticText.english(bytes: 100_000)),
            ("pseudo-words 100 KB (few repeats)", SyntheticText.pseudoWords(bytes: 100_000)),
            ("Chinese 20 KB", SyntheticText.chinese(bytes: 20_000)),
        ] {
            let fresh = try ByteLevelBPETokenizer(gguf: gguf)
            let clock = ContinuousClock()
            var ids: [Int32] = []
            let elapsed = clock.measure { ids = fresh.encode(text) }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            print("TOKENIZER-SPEED: \(name): \(ids.count) tokens in \(String(format: "%.3f", seconds)) s = \(Int(Double(ids.count) / seconds)) tokens/s (cold word cache)")
            #expect(tokenizer.decode(ids) == text)
        }
    }
}

/// Deterministic synthetic text for the speed print.
enum SyntheticText {
    static func english(bytes: Int) -> String {
        let words = "the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will can more about said what out up its into them than only other new some could time these two may first then do any like my now over such our man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three".split(separator: " ")
        var generator = SplitMix(state: 7)
        var text = ""
        while text.utf8.count < bytes {
            var sentence: [Substring] = []
            for _ in 0..<(5 + Int(generator.next() % 12)) { sentence.append(words[Int(generator.next() % UInt64(words.count))]) }
            text += sentence.joined(separator: " ").capitalized(firstOnly: true)
            text += generator.next() % 5 == 0 ? ", \(generator.next() % 10_000) items.\n" : ". "
        }
        return text
    }

    /// English-looking words drawn from syllables, so that few words repeat (the word cache helps little).
    static func pseudoWords(bytes: Int) -> String {
        let syllables = ["ba", "con", "de", "ex", "fi", "gra", "hu", "in", "ject", "ka", "lo", "men", "na", "or", "pre", "qui", "ro", "sta", "tion", "un", "ver", "wo", "xy", "ze", "ing", "ly", "ous", "al"]
        var generator = SplitMix(state: 5)
        var text = ""
        while text.utf8.count < bytes {
            var word = ""
            for _ in 0..<(1 + Int(generator.next() % 5)) { word += syllables[Int(generator.next() % UInt64(syllables.count))] }
            text += (generator.next() % 9 == 0 ? word.capitalized(firstOnly: true) : word) + (generator.next() % 11 == 0 ? ". " : " ")
        }
        return text
    }

    static func chinese(bytes: Int) -> String {
        let characters = Array("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切往")
        var generator = SplitMix(state: 11)
        var scalars = String.UnicodeScalarView()
        var count = 0
        while count < bytes {
            for _ in 0..<(6 + Int(generator.next() % 14)) {
                scalars.append(contentsOf: String(characters[Int(generator.next() % UInt64(characters.count))]).unicodeScalars)
                count += 3
            }
            scalars.append(contentsOf: (generator.next() % 3 == 0 ? "。" : "，").unicodeScalars)
            count += 3
        }
        return String(scalars)
    }

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

private extension String {
    func capitalized(firstOnly: Bool) -> String {
        guard let first else { return self }
        return first.uppercased() + dropFirst()
    }
}
