import FunnelNN
import FunnelTestSupport
import Testing

/// all-MiniLM-L6-v2's F32 weights read through FunnelNN's `SafeTensors` (the one safetensors
/// reader of the package) against the NumPy reference of `Scripts/gguf_reference.py`.
@Suite struct MiniLMWeightsTests {
    @Test(.needsLanguageModels) func readsTheRealMiniLMWeights() throws {
        let reference = try LanguageModelReference.load().safetensors
        let (entries, _) = try SafeTensors.read(file: LanguageModels.miniLMSafetensors)
        #expect(entries.count == reference.tensorCount)
        for (name, expected) in reference.tensors {
            let entry = try #require(entries[name], "\(name) is missing")
            #expect(entry.shape == expected.shape && expected.dtype == "F32")
            guard case .float32(let values) = entry.values else {
                Issue.record("\(name) is not F32")
                continue
            }
            expectMatches(values, rowLength: entry.shape.last ?? 1, expected, tolerance: 0)
        }
        #expect(entries["embeddings.word_embeddings.weight"]?.shape == [30522, 384])
    }
}
