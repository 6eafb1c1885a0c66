import Foundation
import FunnelLanguage
import FunnelNN
import FunnelTensor
import Testing

/// ``BertEncoder`` on a tiny synthetic weight set (hidden 8, 2 heads, 1 layer): the refusals
/// of missing and misshapen tensors, and padding that leaves a sequence's states unchanged.
@Suite struct BertEncoderTests {
    static let configuration = BertConfiguration(
        vocabularySize: 10, hiddenSize: 8, layerCount: 1, headCount: 2, intermediateSize: 16,
        maximumPositions: 6,
        typeVocabularySize: 2, layerNormalizationEpsilon: 1e-12)

    /// Every tensor of a BERT with ``configuration``, filled with fixed pseudo-random values.
    static func entries() -> [String: SafeTensors.Entry] {
        var shapes: [String: [Int]] = [
            "embeddings.word_embeddings.weight": [10, 8],
            "embeddings.position_embeddings.weight": [6, 8],
            "embeddings.token_type_embeddings.weight": [2, 8], "embeddings.LayerNorm.weight": [8],
            "embeddings.LayerNorm.bias": [8],
        ]
        let prefix = "encoder.layer.0."
        for name in [
            "attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense",
        ] {
            shapes[prefix + name + ".weight"] = [8, 8]
            shapes[prefix + name + ".bias"] = [8]
        }
        shapes[prefix + "intermediate.dense.weight"] = [16, 8]
        shapes[prefix + "intermediate.dense.bias"] = [16]
        shapes[prefix + "output.dense.weight"] = [8, 16]
        shapes[prefix + "output.dense.bias"] = [8]
        for name in ["attention.output.LayerNorm", "output.LayerNorm"] {
            shapes[prefix + name + ".weight"] = [8]
            shapes[prefix + name + ".bias"] = [8]
        }
        var entries: [String: SafeTensors.Entry] = [:]
        for (seed, name) in shapes.keys.sorted().enumerated() {
            let shape = shapes[name] ?? []
            let values = (0..<shape.reduce(1, *)).map {
                Float(sin(Double($0 * 31 + seed * 977) * 0.731)) * 0.6
            }
            entries[name] = SafeTensors.Entry(shape: shape, values: .float32(values))
        }
        entries["embeddings.position_ids"] = SafeTensors.Entry(
            shape: [1, 6], values: .int64(Array(0..<6)))
        return entries
    }

    static func refusal(_ entries: [String: SafeTensors.Entry]) -> LanguageFileError? {
        do {
            _ = try BertEncoder(
                entries: entries, configuration: configuration, file: "tiny.safetensors")
            return nil
        } catch {
            return error as? LanguageFileError
        }
    }

    @Test func buildsFromCompleteEntries() throws {
        let encoder = try BertEncoder(entries: Self.entries(), configuration: Self.configuration)
        let states = encoder.hiddenStates([[1, 4, 2], [1, 2]])
        #expect(states.shape == [2, 3, 8])
        #expect(states.scalars.allSatisfy { $0.isFinite })
    }

    @Test func refusesAMissingTensorNamingIt() throws {
        var entries = Self.entries()
        entries["encoder.layer.0.attention.self.key.bias"] = nil
        let error = try #require(Self.refusal(entries))
        #expect(error.field == "tensor encoder.layer.0.attention.self.key.bias")
        #expect(error.file == "tiny.safetensors")
    }

    @Test func refusesAWrongShapeNamingTheTensor() throws {
        var entries = Self.entries()
        entries["encoder.layer.0.intermediate.dense.weight"] = SafeTensors.Entry(
            shape: [8, 16], values: .float32(Array(repeating: 0, count: 128)))
        let error = try #require(Self.refusal(entries))
        #expect(error.field == "tensor encoder.layer.0.intermediate.dense.weight: shape")
        entries = Self.entries()
        entries["embeddings.LayerNorm.weight"] = SafeTensors.Entry(
            shape: [8], values: .int64(Array(repeating: 1, count: 8)))
        #expect(Self.refusal(entries)?.field == "tensor embeddings.LayerNorm.weight: type")
    }

    @Test func paddingLeavesASequenceUnchanged() throws {
        let encoder = try BertEncoder(entries: Self.entries(), configuration: Self.configuration)
        let alone = encoder.hiddenStates([[1, 7, 3]]).scalars
        let padded = encoder.hiddenStates([[1, 5, 9, 8, 2, 2], [1, 7, 3]]).scalars
        let inBatch = Array(padded[(6 * 8)..<(6 * 8 + 3 * 8)])
        for (left, right) in zip(alone, inBatch) { #expect(abs(left - right) <= 1e-6) }
    }

    @Test func threadCountDoesNotChangeTheStates() throws {
        let encoder = try BertEncoder(entries: Self.entries(), configuration: Self.configuration)
        let sequences: [[Int32]] = [[1, 2, 3, 4, 5, 6], [9, 8]]
        let one = Compute.withThreads(1) { encoder.hiddenStates(sequences).scalars }
        let two = Compute.withThreads(2) { encoder.hiddenStates(sequences).scalars }
        #expect(one == two)
    }

    @Test func meanPoolingIgnoresPadding() {
        // Two sequences of lengths 2 and 1 in a batch padded to 3; padding holds huge values.
        let states = Tensor(
            shape: [2, 3, 2],
            scalars: [1, 2, 3, 4, 1e9, -1e9, 5, 6, 1e9, 1e9, -1e9, 7])
        let pooled = SentenceEmbedder.meanPooled(states, lengths: [2, 1])
        #expect(pooled == [[2, 3], [5, 6]])
        #expect(SentenceEmbedder.normalized([3, 4]) == [0.6, 0.8])
        #expect(SentenceEmbedder.normalized([0, 0]) == [0, 0])
    }
}
