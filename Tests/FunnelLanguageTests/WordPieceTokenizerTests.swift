import Foundation
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

@Suite struct WordPieceTokenizerTests {
    static let tinyVocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", ",", "!", "caf", "##e",
                                 "世", "界", "a", "##b", "ab", "x", "##x"]

    private func tiny() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(tokens: Self.tinyVocabulary)
    }

    private func ids(_ tokenizer: WordPieceTokenizer, _ tokens: [String]) throws -> [Int32] {
        try tokens.map { try #require(tokenizer.id(of: $0)) }
    }

    @Test func cutsWordsGreedilyLongestFirst() throws {
        let tokenizer = try tiny()
        #expect(tokenizer.tokenize("unaffable") == (try ids(tokenizer, ["un", "##aff", "##able"])))
        #expect(tokenizer.tokenize("ab") == (try ids(tokenizer, ["ab"])))          // not a ##b
        #expect(tokenizer.tokenize("abb") == (try ids(tokenizer, ["ab", "##b"])))
        #expect(tokenizer.tokenize("unknown") == [tokenizer.unknownId])            // no piece for "k…"
    }

    @Test func lowerCasesStripsAccentsAndSplitsPunctuationAndChinese() throws {
        let tokenizer = try tiny()
        #expect(tokenizer.basicTokenizer.words(of: "Héllo,  WORLD!\tÇa\u{0}\u{200B}x") == ["hello", ",", "world", "!", "cax"])
        #expect(tokenizer.basicTokenizer.words(of: "世界abc") == ["世", "界", "abc"])
        #expect(tokenizer.tokenize("Café, HELLO!") == (try ids(tokenizer, ["caf", "##e", ",", "hello", "!"])))
    }

    @Test func overlongWordsBecomeUnknown() throws {
        let tokenizer = try tiny()
        #expect(tokenizer.tokenize(String(repeating: "x", count: 100)) == [try #require(tokenizer.id(of: "x"))] + [Int32](repeating: try #require(tokenizer.id(of: "##x")), count: 99))
        #expect(tokenizer.tokenize(String(repeating: "x", count: 101)) == [tokenizer.unknownId])
    }

    @Test func encodeWrapsInClassAndSeparatorAndTruncates() throws {
        let tokenizer = try tiny()
        #expect(tokenizer.encode("hello!") == [2, 7, 9, 3])
        let long = tokenizer.encode(String(repeating: "hello ", count: 10), maximumLength: 5)
        #expect(long == [2, 7, 7, 7, 3])
        #expect(tokenizer.decode([2, 4, 5, 6, 3]) == "[CLS] unaffable [SEP]")
    }

    @Test func vocabularyFileRefusesEmptyAndRepeatedLinesByLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good.txt").path
        try (Self.tinyVocabulary.joined(separator: "\r\n") + "\r\n").write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try WordPieceTokenizer(vocabularyFile: good).vocabularySize == Self.tinyVocabulary.count)

        let empty = folder.appendingPathComponent("empty.txt").path
        try "[UNK]\n[CLS]\n\n[SEP]\n".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(throws: LanguageFileError(file: empty, field: "token", location: .line(3), reason: "an empty line; expected a token")) {
            try WordPieceTokenizer(vocabularyFile: empty)
        }
        let repeated = folder.appendingPathComponent("repeated.txt").path
        try "[UNK]\n[CLS]\n[SEP]\n[CLS]\n".write(toFile: repeated, atomically: true, encoding: .utf8)
        do {
            _ = try WordPieceTokenizer(vocabularyFile: repeated)
            Issue.record("a repeated token was accepted")
        } catch let error as LanguageFileError {
            #expect(error.location == .line(4))
        }
        #expect(throws: LanguageFileError.self) { try WordPieceTokenizer(tokens: ["[CLS]", "[SEP]"]) }
    }

    // MARK: The real all-MiniLM-L6-v2 vocabulary

    @Test(.needsLanguageModels)
    func miniLMIdsMatchTheReference() throws {
        let tokenizer = try TokenizerReference.miniLMTokenizer()
        let reference = try TokenizerReference.object("minilm-reference")
        #expect(tokenizer.vocabularySize == (reference["vocabularySize"] as? Int))
        let encodings = try #require(reference["encodings"] as? [[String: Any]])
        #expect(encodings.count >= 12)
        for encoding in encodings {
            let text = try #require(encoding["text"] as? String)
            #expect(tokenizer.encode(text, maximumLength: 256) == (try TokenizerReference.ids(encoding["ids"])), "\(text.debugDescription)")
        }
        let truncated = try #require(reference["truncated"] as? [String: Any])
        let expected = try TokenizerReference.ids(truncated["ids"])
        #expect(expected.count == 256)
        #expect(tokenizer.encode(Array(repeating: "word", count: 300).joined(separator: " "), maximumLength: 256) == expected)
    }

    @Test(.needsLanguageModels)
    func miniLMIdsMatchTheReferenceOnRandomMixtures() throws {
        let tokenizer = try TokenizerReference.miniLMTokenizer()
        let rows = try TokenizerReference.randomMixtures("minilm-random")
        #expect(rows.count >= 500)
        var mismatches = 0
        for row in rows where tokenizer.encode(row.text) != row.ids {
            mismatches += 1
            if mismatches <= 5 { Issue.record("\(row.text.debugDescription): \(tokenizer.encode(row.text)) != \(row.ids)") }
        }
        #expect(mismatches == 0)
    }
}
