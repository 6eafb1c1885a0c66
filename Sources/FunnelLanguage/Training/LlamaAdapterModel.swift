import Foundation
import FunnelNN
import FunnelTensor

/// ``LlamaModel``'s forward pass written with FunnelTensor's differentiable operations over the
/// same frozen ``LlamaWeights``, with LoRA adapters (Hu et al., ICLR 2022; FunnelNN's
/// ``LowRankAdapter``) on the linear projections of every layer: the trainable policy of ECPO's
/// SFT and DPO stages (conversational.md §3, "LoRA on all linear layers").
///
/// For `T` tokens at positions `0 ..< T` (a full sequence, no cache):
///
///     h⁰ = token_embd[tokens]                                    [T, hidden]
///     per layer l:
///       a = RMSNorm(h, attn_norm)                                [T, hidden]
///       q | k | v = a·Wqkvᵀ + (α/r)·(a·Aᵀ)·Bᵀ                     [T, hidden + 2·kv]
///       q, k = RoPE(q), RoPE(k)             normal mode: adjacent pairs (2i, 2i+1) of each head
///       o = attention(q, k, v, causal)       grouped-query: head h reads kv head h / group
///       h = h + o·Woᵀ + (α/r)·(o·Aᵀ)·Bᵀ
///       f = RMSNorm(h, ffn_norm)
///       g | u = f·Wgate|upᵀ + (α/r)·(f·Aᵀ)·Bᵀ                      [T, 2·ffn]
///       h = h + (silu(g) ⊙ u)·Wdownᵀ + (α/r)·(·Aᵀ)·Bᵀ
///     logits = RMSNorm(h, output_norm)·outputᵀ                   [T, vocab]
///
/// **Stacked adapters.** ``LlamaWeights`` keeps q, k, v as one `[hidden + 2·kv, hidden]` matrix
/// and gate, up as one `[2·ffn, hidden]` matrix; an adapter is placed on each stacked matrix
/// (its `weight` shares the frozen storage, nothing is copied). That is LoRA on q, k and v with
/// one shared `A` `[r, hidden]` and their `B`s stacked `[hidden + 2·kv, r]` (and likewise gate
/// and up): every linear layer is adapted, with fewer parameters than separate adapters
/// (SmolLM2-135M at r = 8: 2.03 M trainable values over 30 layers instead of 2.44 M).
/// ``Target`` chooses which of the four stacked projections get adapters.
///
/// RMSNorm (`x / √(mean(x²) + ε) · gain`, ε from the configuration) and RoPE (angles computed in
/// `Double` as ``LlamaKernels/rotaryTables(positions:headDimension:base:)``) follow
/// ``LlamaModel`` exactly; only the order of Float32 sums differs. Only the adapters' `down`
/// (A) and `up` (B) are parameters: the frozen weights never get a gradient, and
/// `saveParameters(to:)` writes just the adapters.
public final class LlamaAdapterModel: Module {
    /// A stacked linear projection of a layer that can carry an adapter.
    public enum Target: String, CaseIterable, Sendable {
        /// q, k and v: `[hidden + 2·kv, hidden]`.
        case queryKeyValue
        /// The attention output: `[hidden, hidden]`.
        case attentionOutput
        /// Gate and up of the SwiGLU feed-forward: `[2·ffn, hidden]`.
        case gateUp
        /// The feed-forward down projection: `[hidden, ffn]`.
        case down
    }

    /// One layer's adapters (`nil` where the projection is not a target).
    public final class Layer: Module {
        public let queryKeyValue: LowRankAdapter?
        public let attentionOutput: LowRankAdapter?
        public let gateUp: LowRankAdapter?
        public let down: LowRankAdapter?

        init(
            weights: LlamaWeights.Layer, targets: Set<Target>, rank: Int, alpha: Float,
            generator: inout RandomGenerator
        ) {
            func adapter(_ target: Target, _ weight: Tensor) -> LowRankAdapter? {
                targets.contains(target)
                    ? LowRankAdapter(
                        weight: weight, rank: rank, alpha: alpha, generator: &generator) : nil
            }
            queryKeyValue = adapter(.queryKeyValue, weights.queryKeyValue)
            attentionOutput = adapter(.attentionOutput, weights.attentionOutput)
            gateUp = adapter(.gateUp, weights.gateUp)
            down = adapter(.down, weights.down)
            super.init()
        }
    }

    /// The frozen norm gains as constant tensors (a struct, so `Module` does not list them).
    private struct Gains {
        let attention: [Tensor]
        let feedForward: [Tensor]
        let output: Tensor
    }

    /// The hyper-parameters.
    public let configuration: LlamaConfiguration
    /// The frozen weights, shared with the ``LlamaModel`` they came from.
    public let weights: LlamaWeights
    /// The adapters of each layer, in order.
    public let layers: [Layer]
    /// The projections that carry adapters.
    public let targets: Set<Target>
    private let gains: Gains

    /// Adapters of rank `rank` and scale `alpha / rank` on the `targets` of every layer, each
    /// `A` drawn from a generator seeded with `seed` (layers in order, targets in
    /// ``Target/allCases`` order) and each `B` zero, so the fresh model computes `weights`'
    /// logits.
    public init(
        weights: LlamaWeights, rank: Int = 8, alpha: Float = 16,
        targets: Set<Target> = Set(Target.allCases), seed: UInt64 = 0
    ) {
        configuration = weights.configuration
        self.weights = weights
        self.targets = targets
        var generator = RandomGenerator(seed: seed)
        layers = weights.layers.map {
            Layer(weights: $0, targets: targets, rank: rank, alpha: alpha, generator: &generator)
        }
        gains = Gains(
            attention: weights.layers.map { Tensor($0.attentionNorm) },
            feedForward: weights.layers.map { Tensor($0.feedForwardNorm) },
            output: Tensor(weights.outputNorm))
        super.init()
    }

    /// Adapters over a loaded model's weights (shared, not copied).
    public convenience init(
        model: LlamaModel, rank: Int = 8, alpha: Float = 16,
        targets: Set<Target> = Set(Target.allCases), seed: UInt64 = 0
    ) {
        self.init(weights: model.weights, rank: rank, alpha: alpha, targets: targets, seed: seed)
    }

    /// The logits of every position of `tokens`, differentiable in the adapters: `[T, vocab]`
    /// (row `t` predicts token `t + 1`).
    /// - Throws: ``LlamaModel/InputError`` for an empty sequence or an id outside the vocabulary.
    public func logits(tokens: [Int32]) throws -> Tensor {
        Tensor.matmul(try finalHiddenStates(tokens), weights.output, transposeRight: true)
    }

    /// `Σ_i log p(c_i | prompt, c_<i)` as a differentiable scalar `[]`: one pass over
    /// `prompt + completion` (without its last token, whose prediction is not needed), the
    /// output projection only at the `C` positions before completion tokens, a stable
    /// log-softmax (`x − logΣexp x`) and the completion tokens' entries summed.
    ///
    /// Shapes: `prompt` `[P]` with `P ≥ 1`, `completion` `[C]` with `C ≥ 1` → `[]`.
    /// - Throws: ``LlamaModel/InputError`` for an empty prompt or completion or an id outside the
    ///   vocabulary.
    public func completionLogProbability(prompt: [Int32], completion: [Int32]) throws -> Tensor {
        try completionTokenLogProbabilities(prompt: prompt, completion: completion).sum()
    }

    /// `log p(c_i | prompt, c_<i)` of each completion token, differentiable: `[C]`.
    public func completionTokenLogProbabilities(prompt: [Int32], completion: [Int32]) throws
        -> Tensor
    {
        guard !prompt.isEmpty else {
            throw LlamaModel.InputError(
                description:
                    "an empty prompt (a completion's first token needs a position before it)")
        }
        guard !completion.isEmpty else {
            throw LlamaModel.InputError(description: "an empty completion")
        }
        try validate(completion)
        let hidden = try finalHiddenStates(prompt + completion.dropLast())
        let rows = hidden.sliced(alongAxis: 0, (prompt.count - 1)..<hidden.shape[0])
        let logProbabilities = Tensor.matmul(rows, weights.output, transposeRight: true).logSoftmax(
            alongAxis: -1)
        return logProbabilities.gathered(
            alongAxis: 1, indices: completion, indexShape: [completion.count, 1]
        )
        .reshaped([completion.count])
    }

    /// The residual stream after the last layer and the output RMSNorm: `[T, hidden]`.
    func finalHiddenStates(_ tokens: [Int32]) throws -> Tensor {
        guard !tokens.isEmpty else {
            throw LlamaModel.InputError(description: "an empty token sequence")
        }
        try validate(tokens)
        let configuration = configuration
        let count = tokens.count
        let (hidden, keyValue, feedForward) = (
            configuration.hiddenSize, configuration.keyValueSize, configuration.feedForwardSize
        )
        let (heads, keyValueHeads, headDimension) = (
            configuration.headCount, configuration.keyValueHeadCount, configuration.headDimension
        )
        let group = configuration.queriesPerKeyValueHead
        let rotary = rotaryTables(count: count)
        let mask = MultiHeadAttention.causalMask(length: count)
        let keyHeads = (0..<heads).map { Int32($0 / group) }

        var stream = weights.tokenEmbedding.indexSelect(tokens)
        for (index, layer) in layers.enumerated() {
            let frozen = weights.layers[index]
            let normalized = rmsNormalized(stream, gain: gains.attention[index])
            let parts = project(normalized, frozen.queryKeyValue, layer.queryKeyValue).split(
                sizes: [hidden, keyValue, keyValue], alongAxis: 1)
            let queries = rotated(parts[0], heads: heads, tables: rotary)
            var keys = rotated(parts[1], heads: keyValueHeads, tables: rotary)
            if group > 1 {
                keys = keys.reshaped([count, keyValueHeads, headDimension]).indexSelect(
                    keyHeads, alongAxis: 1)
            }
            let attended = Tensor.attention(
                queries: queries.reshaped([1, count, hidden]),
                keys: keys.reshaped([1, count, hidden]),
                values: parts[2].reshaped([1, count, keyValue]), heads: heads, valueGroups: group,
                mask: mask)
            stream =
                stream
                + project(
                    attended.reshaped([count, hidden]), frozen.attentionOutput,
                    layer.attentionOutput)
            let gateUp = project(
                rmsNormalized(stream, gain: gains.feedForward[index]), frozen.gateUp, layer.gateUp
            )
            .split(sizes: [feedForward, feedForward], alongAxis: 1)
            let gated = gateUp[0] * gateUp[0].sigmoid() * gateUp[1]
            stream = stream + project(gated, frozen.down, layer.down)
        }
        return rmsNormalized(stream, gain: gains.output)
    }

    private func validate(_ tokens: [Int32]) throws {
        let vocabulary = configuration.vocabularySize
        for token in tokens where token < 0 || Int(token) >= vocabulary {
            throw LlamaModel.InputError(
                description: "token id \(token) is outside the vocabulary of \(vocabulary)")
        }
    }

    /// `input·weightᵀ`, through the adapter when there is one: `[T, in]` → `[T, out]`.
    private func project(_ input: Tensor, _ weight: Tensor, _ adapter: LowRankAdapter?) -> Tensor {
        if let adapter { return adapter(input) }
        return Tensor.matmul(input, weight, transposeRight: true)
    }

    /// RMSNorm of every row: `x / √(mean(x²) + ε) · gain`, `[T, hidden]`.
    private func rmsNormalized(_ input: Tensor, gain: Tensor) -> Tensor {
        let meanSquare = (input * input).mean(alongAxes: [1], keepingDimensions: true)
        return input / (meanSquare + configuration.normEpsilon).sqrt() * gain
    }

    /// The cosines and sines of positions `0 ..< count` as `[T, 1, d/2, 1]` constants.
    private func rotaryTables(count: Int) -> (cosines: Tensor, sines: Tensor) {
        let half = configuration.headDimension / 2
        let tables = LlamaKernels.rotaryTables(
            positions: 0..<count, headDimension: configuration.headDimension,
            base: configuration.ropeFrequencyBase)
        return (
            Tensor(shape: [count, 1, half, 1], scalars: tables.cosines),
            Tensor(shape: [count, 1, half, 1], scalars: tables.sines)
        )
    }

    /// RoPE in llama.cpp's normal mode on `[T, heads·d]`: each adjacent pair `(x₀, x₁)` of a head
    /// becomes `(x₀ cos θ − x₁ sin θ, x₀ sin θ + x₁ cos θ)`.
    private func rotated(_ input: Tensor, heads: Int, tables: (cosines: Tensor, sines: Tensor))
        -> Tensor
    {
        let count = input.shape[0]
        let half = configuration.headDimension / 2
        let pairs = input.reshaped([count, heads, half, 2]).split(sizes: [1, 1], alongAxis: 3)
        let first = pairs[0] * tables.cosines - pairs[1] * tables.sines
        let second = pairs[0] * tables.sines + pairs[1] * tables.cosines
        return Tensor.concatenated([first, second], alongAxis: 3).reshaped([
            count, heads * 2 * half,
        ])
    }
}
