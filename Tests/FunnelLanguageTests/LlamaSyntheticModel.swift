import Foundation
@testable import FunnelLanguage

/// A tiny llama model with deterministic pseudo-random weights — 2 layers, hidden 8, 2 query
/// heads and 1 key/value head of 4 values, feed-forward 16, vocabulary 32 — for the tests
/// that need no model file, as named tensors in GGUF shapes (`ne[0]` first) and as a GGUF
/// file with F32 tensors.
enum LlamaSyntheticModel {
    static let layerCount = 2
    static let hidden = 8
    static let headCount = 2
    static let keyValueHeadCount = 1
    static let feedForward = 16
    static let vocabulary = 32

    static func configuration() throws -> LlamaConfiguration {
        try LlamaConfiguration(
            layerCount: layerCount, hiddenSize: hidden, headCount: headCount, keyValueHeadCount: keyValueHeadCount,
            feedForwardSize: feedForward, vocabularySize: vocabulary, contextLength: 256, normEpsilon: 1e-5, ropeFrequencyBase: 10_000)
    }

    /// Every tensor: name → (GGUF dimensions, row-major values).
    static func tensors() -> [(name: String, dimensions: [Int], values: [Float])] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func values(_ count: Int, scale: Float, offset: Float = 0) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return offset + scale * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
            }
        }
        let keyValue = keyValueHeadCount * hidden / headCount
        var result: [(String, [Int], [Float])] = [("token_embd.weight", [hidden, vocabulary], values(hidden * vocabulary, scale: 1))]
        for layer in 0..<layerCount {
            let prefix = "blk.\(layer)."
            result += [
                (prefix + "attn_norm.weight", [hidden], values(hidden, scale: 0.2, offset: 1)),
                (prefix + "attn_q.weight", [hidden, hidden], values(hidden * hidden, scale: 0.5)),
                (prefix + "attn_k.weight", [hidden, keyValue], values(hidden * keyValue, scale: 0.5)),
                (prefix + "attn_v.weight", [hidden, keyValue], values(hidden * keyValue, scale: 0.5)),
                (prefix + "attn_output.weight", [hidden, hidden], values(hidden * hidden, scale: 0.3)),
                (prefix + "ffn_norm.weight", [hidden], values(hidden, scale: 0.2, offset: 1)),
                (prefix + "ffn_gate.weight", [hidden, feedForward], values(hidden * feedForward, scale: 0.4)),
                (prefix + "ffn_up.weight", [hidden, feedForward], values(hidden * feedForward, scale: 0.4)),
                (prefix + "ffn_down.weight", [feedForward, hidden], values(hidden * feedForward, scale: 0.3)),
            ]
        }
        result.append(("output_norm.weight", [hidden], values(hidden, scale: 0.2, offset: 1)))
        return result
    }

    static func model() throws -> LlamaModel {
        let named = Dictionary(uniqueKeysWithValues: tensors().map { ($0.name, $0.values) })
        return LlamaModel(weights: try LlamaWeights(configuration: try configuration(), tensors: named))
    }

    /// The `llama.*` metadata of the synthetic model.
    static func metadata() -> [(key: String, value: GGUFValue)] {
        [
            ("general.architecture", .string("llama")),
            ("llama.block_count", .uint32(UInt32(layerCount))),
            ("llama.context_length", .uint32(256)),
            ("llama.embedding_length", .uint32(UInt32(hidden))),
            ("llama.feed_forward_length", .uint32(UInt32(feedForward))),
            ("llama.attention.head_count", .uint32(UInt32(headCount))),
            ("llama.attention.head_count_kv", .uint32(UInt32(keyValueHeadCount))),
            ("llama.rope.freq_base", .float32(10_000)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("llama.vocab_size", .uint32(UInt32(vocabulary))),
        ]
    }

    /// The synthetic model as a GGUF file with F32 tensors, after `edit` changes its parts.
    static func file(edit: (inout SyntheticGGUF) -> Void = { _ in }) throws -> String {
        var gguf = SyntheticGGUF()
        gguf.metadata = metadata()
        gguf.tensors = tensors().map { tensor in
            SyntheticGGUF.Tensor(
                name: tensor.name, dimensions: tensor.dimensions, type: 0,
                bytes: tensor.values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } })
        }
        edit(&gguf)
        return try writeTemporaryFile(gguf.encoded().bytes, name: "synthetic-llama.gguf")
    }
}
