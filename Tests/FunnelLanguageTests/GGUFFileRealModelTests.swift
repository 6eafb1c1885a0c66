import Foundation
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

/// The real SmolLM2-135M-Instruct GGUF (Scripts/fetch-language-models.sh) against what
/// `Scripts/gguf_reference.py` read from it with numpy.
@Suite struct GGUFFileRealModelTests {
    @Test(.needsLanguageModels) func opensWithTheLlamaHyperparameters() throws {
        let file = try GGUFFile(path: LanguageModels.smolLM2GGUF)
        #expect(file.version == 3)
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("llama.block_count") == 30)
        #expect(try file.int("llama.embedding_length") == 576)
        #expect(try file.int("llama.feed_forward_length") == 1536)
        #expect(try file.int("llama.attention.head_count") == 9)
        #expect(try file.int("llama.attention.head_count_kv") == 3)
        #expect(try file.float("llama.rope.freq_base") == 100_000)
        #expect(try file.stringArray("tokenizer.ggml.tokens").count == 49152)
        #expect(try file.int32Array("tokenizer.ggml.token_type").count == 49152)
        #expect(try file.stringArray("tokenizer.ggml.merges").count == 48900)
        let reference = try LanguageModelReference.load().gguf
        #expect(file.tensors.count == reference.tensorCount)
        #expect(file.dataStart == reference.dataStart)
        let embedding = try file.tensor(named: "token_embd.weight")
        #expect(embedding.type == .q8_0 && embedding.dimensions == [576, 49152])
        #expect(try file.tensor(named: "blk.0.attn_q.weight").type == .q4_1)
        #expect(try file.tensor(named: "output_norm.weight").type == .f32)
    }

    @Test(.needsLanguageModels) func dequantisedTensorsMatchTheNumPyReference() throws {
        let file = try GGUFFile(path: LanguageModels.smolLM2GGUF)
        let reference = try LanguageModelReference.load().gguf
        for (name, expected) in reference.tensors {
            let info = try file.tensor(named: name)
            #expect(info.type.name == expected.type && info.dimensions == expected.dims, "\(name)")
            expectMatches(try file.floats(info), rowLength: info.rowLength, expected)
        }
    }
}
