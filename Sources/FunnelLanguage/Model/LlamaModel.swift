import Foundation
import FunnelTensor

/// A Llama decoder (Touvron et al. 2023) on Funnel's Float32 engine, computing what llama.cpp
/// computes for `LLM_ARCH_LLAMA` from the same GGUF weights. For a sequence `x` of `T` tokens
/// at positions `p₀ ..< p₀ + T` (`p₀` = the positions already in the ``LlamaKVCache``):
///
///     h⁰ = token_embd[tokens]                                    [T, hidden]
///     per layer l:
///       a = RMSNorm(h, attn_norm)                                [T, hidden]
///       q, k, v = a·Wqᵀ, a·Wkᵀ, a·Wvᵀ                           [T, heads·d], [T, kvHeads·d] ×2
///       q, k = RoPE(q, p), RoPE(k, p)       normal mode: adjacent pairs (2i, 2i+1) of each head
///       append k, v to the cache                                 [p₀ + T, kvHeads·d]
///       o_head = softmax(q_head·K_gᵀ / √d + causal mask)·V_g     g = head / (heads / kvHeads)
///       h = h + o·Woᵀ
///       f = RMSNorm(h, ffn_norm)
///       h = h + (silu(f·Wgateᵀ) ⊙ f·Wupᵀ)·Wdownᵀ                  SwiGLU, [T, ffn] inside
///     logits = RMSNorm(h, output_norm)·outputᵀ                   [T, vocab] (output tied to token_embd)
///
/// The projections are GEMMs over all `T` positions of a prompt (`Tensor.matmul`, which splits
/// large products over `Compute.threadCount` threads) and matrix-vector products for one
/// generated token; attention splits its (position, head) pairs across the same threads. When
/// the weights keep a projection's quantised blocks (a Q4_1/Q8_0 GGUF), the one-token step
/// multiplies by those instead (``QuantisedKernels``; ~6× fewer bytes read per token), unless
/// ``quantisedDecoding`` is off. Results depend only on the inputs and the thread count.
public final class LlamaModel: @unchecked Sendable {
    /// A token id outside the vocabulary, or an empty sequence.
    public struct InputError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// The hyper-parameters.
    public let configuration: LlamaConfiguration
    /// The dequantised weights.
    public let weights: LlamaWeights
    /// Whether a one-position step multiplies by the weights' quantised blocks where they keep
    /// them (otherwise always by the Float32 tensors).
    public let quantisedDecoding: Bool

    /// A model over `weights` (their configuration); `quantisedDecoding` as the property.
    public init(weights: LlamaWeights, quantisedDecoding: Bool = true) {
        self.configuration = weights.configuration
        self.weights = weights
        self.quantisedDecoding = quantisedDecoding
    }

    /// Reads the configuration and every weight of a llama GGUF file (dequantised to Float32).
    public convenience init(file: GGUFFile) throws {
        let configuration = try LlamaConfiguration(file: file)
        self.init(weights: try LlamaWeights(file: file, configuration: configuration))
    }

    /// An empty cache for this model.
    public func makeCache() -> LlamaKVCache { LlamaKVCache(configuration: configuration) }

    /// Feeds `tokens` after the positions already in `cache` (appending theirs) and returns
    /// the logits of the last position: `[vocab]`.
    public func logits(forTokens tokens: [Int32], cache: inout LlamaKVCache) throws -> [Float] {
        try forward(tokens, cache: &cache, allPositions: false)
    }

    /// As ``logits(forTokens:cache:)`` but the logits of every fed position: `[T × vocab]`
    /// row-major (for log-probabilities of a given continuation).
    public func allLogits(forTokens tokens: [Int32], cache: inout LlamaKVCache) throws -> [Float] {
        try forward(tokens, cache: &cache, allPositions: true)
    }

    private func forward(_ tokens: [Int32], cache: inout LlamaKVCache, allPositions: Bool) throws -> [Float] {
        let configuration = configuration
        let hidden = configuration.hiddenSize
        let keyValue = configuration.keyValueSize
        let feedForward = configuration.feedForwardSize
        let vocabulary = configuration.vocabularySize
        let count = tokens.count
        guard count > 0 else { throw InputError(description: "an empty token sequence") }
        for token in tokens where token < 0 || Int(token) >= vocabulary {
            throw InputError(description: "token id \(token) is outside the vocabulary of \(vocabulary)")
        }
        guard cache.layerCount == configuration.layerCount, cache.rowWidth == keyValue else {
            throw InputError(description: "a cache for another configuration")
        }
        let start = cache.count
        let tables = LlamaKernels.rotaryTables(
            positions: start..<(start + count), headDimension: configuration.headDimension, base: configuration.ropeFrequencyBase)

        // The residual stream h: [T, hidden].
        let stream = Tensor(shape: [count, hidden], repeating: 0)
        weights.tokenEmbedding.withUnsafeBufferPointer { table in
            stream.withUnsafeMutableBufferPointer { rows in
                for (row, token) in tokens.enumerated() {
                    let source = table[(Int(token) * hidden)..<(Int(token) * hidden + hidden)]
                    _ = UnsafeMutableBufferPointer(rebasing: rows[(row * hidden)..<(row * hidden + hidden)]).update(fromContentsOf: source)
                }
            }
        }
        let normalized = Tensor(shape: [count, hidden], repeating: 0)
        let attended = Tensor(shape: [count, hidden], repeating: 0)
        let gated = Tensor(shape: [count, feedForward], repeating: 0)
        for (index, layer) in weights.layers.enumerated() {
            normalize(stream, weight: layer.attentionNorm, into: normalized)
            let projected = project(normalized, layer.queryKeyValue, layer.quantisedQueryKeyValue)
            let width = hidden + 2 * keyValue
            projected.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                tables.cosines.withUnsafeBufferPointer { cosines in
                    tables.sines.withUnsafeBufferPointer { sines in
                        guard let cosines = cosines.baseAddress, let sines = sines.baseAddress else { return }
                        let half = configuration.headDimension / 2
                        for row in 0..<count {
                            LlamaKernels.rotate(
                                base + row * width, heads: configuration.headCount + configuration.keyValueHeadCount,
                                headDimension: configuration.headDimension,
                                cosines: cosines + row * half, sines: sines + row * half)
                        }
                    }
                }
                cache.append(layer: index, positions: count, keys: base + hidden, values: base + hidden + keyValue, stride: width)
            }
            attend(projected, layer: index, cache: cache, start: start, into: attended)
            add(project(attended, layer.attentionOutput, layer.quantisedAttentionOutput), to: stream)
            normalize(stream, weight: layer.feedForwardNorm, into: normalized)
            let gateUp = project(normalized, layer.gateUp, layer.quantisedGateUp)
            gateUp.withUnsafeBufferPointer { source in
                gated.withUnsafeMutableBufferPointer { target in
                    guard let source = source.baseAddress, let target = target.baseAddress else { return }
                    for row in 0..<count {
                        LlamaKernels.gatedSiLU(
                            gate: source + row * 2 * feedForward, up: source + row * 2 * feedForward + feedForward,
                            count: feedForward, into: target + row * feedForward)
                    }
                }
            }
            add(project(gated, layer.down, layer.quantisedDown), to: stream)
        }
        cache.advance(by: count)

        let rows = allPositions ? count : 1
        let final = Tensor(shape: [rows, hidden], repeating: 0)
        stream.withUnsafeBufferPointer { source in
            final.withUnsafeMutableBufferPointer { target in
                weights.outputNorm.withUnsafeBufferPointer { weight in
                    guard let source = source.baseAddress, let target = target.baseAddress, let weight = weight.baseAddress else { return }
                    for row in 0..<rows {
                        let sourceRow = allPositions ? row : count - 1
                        LlamaKernels.rmsNormalize(
                            source + sourceRow * hidden, weight: weight, count: hidden, epsilon: configuration.normEpsilon,
                            into: target + row * hidden)
                    }
                }
            }
        }
        return project(final, weights.output, weights.quantisedOutput).scalars
    }

    /// `input · weightᵀ` (`[T, in]` → `[T, out]`): for one position, the GEMV over `quantised`'s
    /// blocks when given (and ``quantisedDecoding`` is on); otherwise `Tensor.matmul`.
    private func project(_ input: Tensor, _ weight: Tensor, _ quantised: LlamaWeights.QuantisedMatrix?) -> Tensor {
        guard quantisedDecoding, let quantised, input.count == quantised.columns else {
            return Tensor.matmul(input, weight, transposeRight: true)
        }
        let output = Tensor(shape: [1, quantised.rows], repeating: 0)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                guard let x = x.baseAddress, let y = y.baseAddress else { return }
                quantised.multiply(x, into: y)
            }
        }
        return output
    }

    /// RMSNorm of every row of `input` into `output` (both `[T, hidden]`).
    private func normalize(_ input: Tensor, weight: [Float], into output: Tensor) {
        let hidden = configuration.hiddenSize
        let epsilon = configuration.normEpsilon
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                weight.withUnsafeBufferPointer { weight in
                    guard let source = source.baseAddress, let target = target.baseAddress, let weight = weight.baseAddress else { return }
                    for row in 0..<(input.count / hidden) {
                        LlamaKernels.rmsNormalize(
                            source + row * hidden, weight: weight, count: hidden, epsilon: epsilon, into: target + row * hidden)
                    }
                }
            }
        }
    }

    /// `stream += update`, element-wise.
    private func add(_ update: Tensor, to stream: Tensor) {
        update.withUnsafeBufferPointer { source in
            stream.withUnsafeMutableBufferPointer { target in
                guard let source = source.baseAddress, let target = target.baseAddress else { return }
                LlamaKernels.addScaled(source, alpha: 1, to: target, count: stream.count)
            }
        }
    }

    /// Causal grouped-query attention of the `T` rotated queries in `projected`
    /// (`[T, hidden + 2·kv]`, queries first) over the cache's keys and values of `layer`: query
    /// row `t` sees positions `0 ... start + t`. Writes `[T, heads·d]` into `output`.
    private func attend(_ projected: Tensor, layer: Int, cache: LlamaKVCache, start: Int, into output: Tensor) {
        let headCount = configuration.headCount
        let headDimension = configuration.headDimension
        let group = configuration.queriesPerKeyValueHead
        let width = configuration.hiddenSize + 2 * configuration.keyValueSize
        let keyWidth = configuration.keyValueSize
        let rows = projected.count / width
        let pairs = rows * headCount
        let positions = start + rows
        let scale = 1 / Float(headDimension).squareRoot()
        let tasks = pairs * positions * headDimension >= 32_768 ? min(Compute.threadCount, pairs) : 1
        projected.withUnsafeBufferPointer { queries in
            output.withUnsafeMutableBufferPointer { output in
                cache.keys[layer].withUnsafeBufferPointer { keys in
                    cache.values[layer].withUnsafeBufferPointer { values in
                        guard let queries = queries.baseAddress, let output = output.baseAddress,
                              let keys = keys.baseAddress, let values = values.baseAddress else { return }
                        Compute.parallelFor(tasks: tasks) { task in
                            var scores = [Float](repeating: 0, count: positions)
                            scores.withUnsafeMutableBufferPointer { scores in
                                guard let scores = scores.baseAddress else { return }
                                for pair in Compute.range(of: task, tasks: tasks, count: pairs) {
                                    let row = pair / headCount
                                    let head = pair % headCount
                                    let query = queries + row * width + head * headDimension
                                    let keyOffset = (head / group) * headDimension
                                    let visible = start + row + 1
                                    var maximum = -Float.infinity
                                    for position in 0..<visible {
                                        let score = LlamaKernels.dot(query, keys + position * keyWidth + keyOffset, count: headDimension) * scale
                                        scores[position] = score
                                        maximum = max(maximum, score)
                                    }
                                    var total: Float = 0
                                    for position in 0..<visible {
                                        let weight = exp(scores[position] - maximum)
                                        scores[position] = weight
                                        total += weight
                                    }
                                    let target = output + row * headCount * headDimension + head * headDimension
                                    target.initialize(repeating: 0, count: headDimension)
                                    let normaliser = total > 0 ? 1 / total : 0
                                    for position in 0..<visible {
                                        LlamaKernels.addScaled(
                                            values + position * keyWidth + keyOffset, alpha: scores[position] * normaliser,
                                            to: target, count: headDimension)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Greedy decoding (llama.cpp's `llama_sampler_init_greedy`): the prompt in one
    // batched pass, then one cached step per generated token, always taking the most likely one.

    /// The index of the largest logit (the first of equal ones); `nil` for an empty array or
    /// one of NaNs only.
    public static func argmax(_ logits: [Float]) -> Int? {
        var best: Int?
        var bestValue = -Float.infinity
        for (index, value) in logits.enumerated() where value > bestValue || (best == nil && value == bestValue) {
            best = index
            bestValue = value
        }
        return best
    }

    /// Generates up to `maxTokens` tokens after `prompt`, greedily, and returns them (without
    /// the prompt). Stops early after producing a token of `stopTokens`, which is not returned.
    /// `cache` starts empty unless given; it ends holding the prompt and the fed tokens.
    public func generateGreedy(
        prompt: [Int32], maxTokens: Int, stopTokens: Set<Int32> = [], cache: inout LlamaKVCache
    ) throws -> [Int32] {
        guard maxTokens > 0 else { return [] }
        var logits = try logits(forTokens: prompt, cache: &cache)
        var generated: [Int32] = []
        generated.reserveCapacity(maxTokens)
        while generated.count < maxTokens {
            guard let next = Self.argmax(logits) else {
                throw InputError(description: "the logits after \(cache.count) positions are all NaN")
            }
            let token = Int32(next)
            if stopTokens.contains(token) { break }
            generated.append(token)
            if generated.count == maxTokens { break }
            logits = try self.logits(forTokens: [token], cache: &cache)
        }
        return generated
    }

    /// ``generateGreedy(prompt:maxTokens:stopTokens:cache:)`` with a fresh cache.
    public func generateGreedy(prompt: [Int32], maxTokens: Int, stopTokens: Set<Int32> = []) throws -> [Int32] {
        var cache = makeCache()
        return try generateGreedy(prompt: prompt, maxTokens: maxTokens, stopTokens: stopTokens, cache: &cache)
    }
}
