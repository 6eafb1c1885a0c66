import FunnelTensor

/// A decoder-only Transformer block: causal self-attention and a position-wise feed-forward
/// network, each with a residual connection and layer normalisation, before (pre-norm, as
/// GPT-2 and SASRec) or after (post-norm, as the original Transformer) each sub-layer.
///
/// Shapes: input `[batch, length, dimensions]` (and an optional `[batch, length]` 0/1 mask of
/// valid positions) → output `[batch, length, dimensions]`.
public final class TransformerDecoderBlock: Module {
    public let attention: MultiHeadAttention
    public let attentionNorm: LayerNorm
    public let feedForwardNorm: LayerNorm
    public let feedForwardIn: Linear
    public let feedForwardOut: Linear
    public let attentionDropout: Dropout
    public let feedForwardDropout: Dropout
    public let normFirst: Bool
    public let activation: Activation

    public init(
        dimensions: Int, numHeads: Int, feedForwardDimensions: Int? = nil, dropout: Float = 0,
        normFirst: Bool = true, activation: Activation = .relu, generator: inout RandomGenerator
    ) {
        attention = MultiHeadAttention(dimensions: dimensions, numHeads: numHeads, generator: &generator)
        attentionNorm = LayerNorm(dimensions: dimensions)
        feedForwardNorm = LayerNorm(dimensions: dimensions)
        let hidden = feedForwardDimensions ?? 4 * dimensions
        feedForwardIn = Linear(dimensions, hidden, generator: &generator)
        feedForwardOut = Linear(hidden, dimensions, generator: &generator)
        attentionDropout = Dropout(probability: dropout, seed: generator.next())
        feedForwardDropout = Dropout(probability: dropout, seed: generator.next())
        self.normFirst = normFirst
        self.activation = activation
        super.init()
    }

    public func callAsFunction(_ input: Tensor, valid: Tensor? = nil) -> Tensor {
        var mask = MultiHeadAttention.causalMask(length: input.shape[1])
        if let valid { mask = mask + MultiHeadAttention.keyPaddingMask(valid) }
        func selfAttention(_ x: Tensor) -> Tensor {
            attentionDropout(attention(queries: x, keys: x, values: x, mask: mask))
        }
        func feedForward(_ x: Tensor) -> Tensor {
            feedForwardDropout(feedForwardOut(feedForwardIn(x, activation: activation)))
        }
        if normFirst {
            let attended = input + selfAttention(attentionNorm(input))
            return attended + feedForward(feedForwardNorm(attended))
        }
        let attended = attentionNorm(input + selfAttention(input))
        return feedForwardNorm(attended + feedForward(attended))
    }
}
