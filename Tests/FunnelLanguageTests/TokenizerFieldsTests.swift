import Foundation
import Testing
@testable import FunnelLanguage

/// ``TokenizerFields`` read from small synthetic GGUF files: a complete byte-level BPE
/// tokenizer, and the refusals of missing, mistyped and unsupported fields.
@Suite struct TokenizerFieldsTests {
    /// The extra tokens after the 256 byte tokens (plain text; stored in alphabet form).
    static let extraTokens = ["ab", "abc", " ab"]
    /// The merges, by rank (plain text pairs).
    static let merges = [("a", "b"), ("ab", "c"), (" ", "ab")]
    static let endOfText = "<|endoftext|>"

    /// The `tokenizer.*` metadata of a tiny complete tokenizer: 256 byte tokens (id = byte),
    /// `ab` (256), `abc` (257), ` ab` (258), `<|endoftext|>` (259, control), ids as uint32.
    static var metadata: [(key: String, value: GGUFValue)] {
        let spell = { (text: String) in ByteUnicodeMapping.encode(Array(text.utf8)) }
        let tokens = (0..<256).map { ByteUnicodeMapping.encode([UInt8($0)]) } + extraTokens.map(spell) + [endOfText]
        let types = [Int32](repeating: 1, count: 256 + extraTokens.count) + [3]
        return [
            ("general.architecture", .string("llama")),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(elementType: .string, values: tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(elementType: .int32, values: types.map { .int32($0) })),
            ("tokenizer.ggml.merges", .array(elementType: .string, values: merges.map { .string(spell($0.0) + " " + spell($0.1)) })),
            ("tokenizer.ggml.bos_token_id", .uint32(259)),
            ("tokenizer.ggml.eos_token_id", .uint32(259)),
            ("tokenizer.chat_template", .string("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}")),
        ]
    }

    /// Writes a GGUF with `metadata` (no tensors) and opens it.
    static func gguf(_ metadata: [(key: String, value: GGUFValue)]) throws -> GGUFFile {
        let path = try writeTemporaryFile(SyntheticGGUF(metadata: metadata).encoded().bytes, name: "tokenizer.gguf")
        return try GGUFFile(path: path)
    }

    /// ``metadata`` with `key` removed, or its value replaced.
    static func changed(_ key: String, to value: GGUFValue? = nil) -> [(key: String, value: GGUFValue)] {
        metadata.compactMap { entry in
            guard entry.key == key else { return entry }
            return value.map { (key, $0) }
        }
    }

    @Test func aCompleteSyntheticTokenizerEncodesByItsMerges() throws {
        let file = try Self.gguf(Self.metadata)
        let fields = try TokenizerFields(gguf: file)
        #expect(fields.file == file.path)
        #expect(fields.pre == "smollm")
        #expect(fields.specialTokens == .init(beginOfSequence: 259, endOfSequence: 259))
        let tokenizer = try ByteLevelBPETokenizer(gguf: file)
        #expect(tokenizer.vocabularySize == 260)
        #expect(tokenizer.encode("abc ab") == [257, 258])
        #expect(tokenizer.encode("abab c") == [256, 256, 32, 99])
        #expect(tokenizer.encode("ab<|endoftext|>") == [256, 259])
        #expect(tokenizer.encode("a12") == [97, 49, 50])   // smollm: digits one by one
        #expect(tokenizer.decode([257, 258, 259]) == "abc ab<|endoftext|>")
        #expect(try ChatTemplate(gguf: file).defaultSystemMessage == nil)
    }

    @Test func theOptionalFieldsMayBeAbsent() throws {
        var metadata = Self.metadata
        metadata.removeAll { ["tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.chat_template"].contains($0.key) }
        let file = try Self.gguf(metadata)
        let fields = try TokenizerFields(gguf: file)
        #expect(fields.pre == nil && fields.chatTemplate == nil)
        #expect(fields.specialTokens == .init())
        #expect(try ByteLevelBPETokenizer(fields: fields).encode("a12") == [97, 49, 50])   // gpt2: no digit split
        let noTemplate = languageFileError { _ = try ChatTemplate(gguf: file) }
        #expect(noTemplate?.field == "metadata[tokenizer.chat_template]")
    }

    @Test func aMissingMergesFieldIsRefusedNamingTheFileAndKey() throws {
        let file = try Self.gguf(Self.changed("tokenizer.ggml.merges"))
        let error = languageFileError { _ = try ByteLevelBPETokenizer(gguf: file) }
        #expect(error?.field == "metadata[tokenizer.ggml.merges]")
        #expect(error?.file == file.path)
        #expect(error?.description.hasPrefix("\(file.path): metadata[tokenizer.ggml.merges]: missing") == true, "\(String(describing: error))")
    }

    @Test func anUnsupportedPreTokenizerIsRefused() throws {
        let file = try Self.gguf(Self.changed("tokenizer.ggml.pre", to: .string("llama3")))
        let error = languageFileError { _ = try ByteLevelBPETokenizer(gguf: file) }
        #expect(error?.field == "metadata[tokenizer.ggml.pre]")
        #expect(error?.file == file.path)
        #expect(error?.reason.contains("\"llama3\"") == true, "\(String(describing: error))")
        if case .byte? = error?.location {} else { Issue.record("no byte offset in \(String(describing: error))") }
    }

    @Test func otherModelsAndMistypedFieldsAreRefusedByKey() throws {
        let cases: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.model", .uint32(2)),
            ("tokenizer.ggml.tokens", .array(elementType: .uint32, values: [.uint32(1)])),
            ("tokenizer.ggml.token_type", .array(elementType: .string, values: [.string("1")])),
            ("tokenizer.ggml.bos_token_id", .string("1")),
            ("tokenizer.ggml.eos_token_id", .uint64(1 << 40)),
            ("tokenizer.chat_template", .uint8(1)),
        ]
        for (key, value) in cases {
            let file = try Self.gguf(Self.changed(key, to: value))
            let error = languageFileError { _ = try TokenizerFields(gguf: file) }
            #expect(error?.field == "metadata[\(key)]", "\(key) = \(value): \(String(describing: error))")
            #expect(error?.file == file.path)
        }
        let missingTokens = try Self.gguf(Self.changed("tokenizer.ggml.tokens"))
        #expect(languageFileError { _ = try TokenizerFields(gguf: missingTokens) }?.field == "metadata[tokenizer.ggml.tokens]")
    }
}
