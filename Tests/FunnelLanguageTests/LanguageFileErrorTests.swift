import Testing
@testable import FunnelLanguage

@Suite struct LanguageFileErrorTests {
    @Test func describesTheFileTheFieldAndTheLocation() {
        let binary = LanguageFileError(file: "m.gguf", field: "tensor blk.0.attn_q.weight: type", location: .byte(1024), reason: "type 12 (Q4_K); expected Q4_0, Q4_1, Q8_0, F16 or F32")
        #expect(binary.description == "m.gguf: tensor blk.0.attn_q.weight: type (at byte 1024): type 12 (Q4_K); expected Q4_0, Q4_1, Q8_0, F16 or F32")
        let text = LanguageFileError(file: "vocab.txt", field: "token", location: .line(3), reason: "an empty line; expected a token")
        #expect(text.description == "vocab.txt:3: token: an empty line; expected a token")
        let unlocated = LanguageFileError(file: "m.gguf", field: "tokenizer.ggml.merges", reason: "missing")
        #expect(unlocated.description == "m.gguf: tokenizer.ggml.merges: missing")
    }
}
