import FunnelTensor

/// A GPT-2 pre-norm decoder block with focused attention (FAIR, sequential.md §4.2–§4.3;
/// Differential Transformer, arXiv 2410.05258):
///
///     x = x + Dropout(Attention(LayerNorm(x)))
///     x = x + Dropout(FFN(LayerNorm(x))),   FFN = Linear(D → F) → GELU → Linear(F → D)
///
/// GELU is FunnelTensor's tanh approximation, which is GPT-2's `gelu_new`. The layer norms'
/// ε defaults to the RPG configuration's 1e-12 (§4.6). With `focused: false` the attention is
/// the baseline: ``CausalSelfAttention`` with `2·heads` heads of width d over the same
/// projection sizes, so both blocks have the same parameters but for focused attention's four
/// λ vectors and head-norm scale.
///
/// Shapes: input `[batch, length, dimensions]` (and an optional `[batch, length]` 0/1 mask of
/// valid positions, which blocks padded keys) → `[batch, length, dimensions]`.
public final class FocusedDecoderBlock: Module {
    public let attentionNorm: LayerNorm
    /// The focused attention, or `nil` in the baseline.
    public let focusedAttention: FocusedAttention?
    /// The baseline's standard causal attention, or `nil` with focused attention.
    public let standardAttention: CausalSelfAttention?
    public let feedForwardNorm: LayerNorm
    public let feedForwardIn: Linear
    public let feedForwardOut: Linear
    /// Residual dropout after the attention and after the feed-forward network.
    public let attentionDropout: Dropout
    public let feedForwardDropout: Dropout

    /// - Parameters:
    ///   - dimensions: the model width D.
    ///   - heads: H focused heads of width `D / (2H)` (the baseline: 2H heads of that width).
    ///   - feedForwardDimensions: F; `nil`: 4D.
    ///   - layerIndex: the 0-based layer index that sets λ_init; `lambdaInitial` overrides it.
    ///   - focused: focused attention, or the baseline's standard attention.
    ///   - weightDropout: attention-weight dropout.
    ///   - residualDropout: dropout on each sub-layer's output before the residual sum.
    ///   - normEpsilon: the layer norms' ε.
    ///   - initializer: the attention projections' and the feed-forward weights.
    public init(
        dimensions: Int, heads: Int, feedForwardDimensions: Int? = nil, layerIndex: Int = 0,
        lambdaInitial: Float? = nil, focused: Bool = true, weightDropout: Float = 0,
        residualDropout: Float = 0,
        normEpsilon: Float = 1e-12, initializer: Initializer = .fanInUniform,
        generator: inout RandomGenerator
    ) {
        precondition(
            dimensions % (2 * heads) == 0,
            "Funnel: \(dimensions) dimensions do not split into 2·\(heads) heads")
        attentionNorm = LayerNorm(dimensions: dimensions, epsilon: normEpsilon)
        if focused {
            focusedAttention = FocusedAttention(
                dimensions: dimensions, heads: heads, layerIndex: layerIndex,
                lambdaInitial: lambdaInitial,
                weightDropout: weightDropout, initializer: initializer, generator: &generator)
            standardAttention = nil
        } else {
            focusedAttention = nil
            standardAttention = CausalSelfAttention(
                dimensions: dimensions, heads: 2 * heads, outputProjection: true,
                weightDropout: weightDropout,
                initializer: initializer, generator: &generator)
        }
        feedForwardNorm = LayerNorm(dimensions: dimensions, epsilon: normEpsilon)
        let hidden = feedForwardDimensions ?? 4 * dimensions
        feedForwardIn = Linear(dimensions, hidden, initializer: initializer, generator: &generator)
        feedForwardOut = Linear(hidden, dimensions, initializer: initializer, generator: &generator)
        attentionDropout = Dropout(probability: residualDropout, seed: generator.next())
        feedForwardDropout = Dropout(probability: residualDropout, seed: generator.next())
        super.init()
    }

    /// The causal forward pass over whole sequences.
    ///
    /// - Parameters:
    ///   - input: `[batch, length, dimensions]`.
    ///   - valid: `[batch, length]` with 1 at real positions and 0 at padding, or `nil`.
    /// - Returns: `[batch, length, dimensions]`.
    public func callAsFunction(_ input: Tensor, valid: Tensor? = nil) -> Tensor {
        var mask = MultiHeadAttention.causalMask(length: input.shape[1])
        if let valid { mask = mask + MultiHeadAttention.keyPaddingMask(valid) }
        return forward(input) { normalised in
            if let focusedAttention { return focusedAttention(normalised, mask: mask) }
            return standardAttention!(queries: normalised, keys: normalised, mask: mask)
        }
    }

    /// Incremental decoding (inference): the new positions `[batch, new, dimensions]` attend
    /// to `cache` and to themselves causally, and their keys and values join `cache`.
    ///
    /// - Returns: `[batch, new, dimensions]`, the causal forward pass's outputs at those
    ///   positions.
    public func callAsFunction(_ input: Tensor, cache: inout KeyValueCache) -> Tensor {
        withoutGradients {
            forward(input) { normalised in
                if let focusedAttention { return focusedAttention(normalised, cache: &cache) }
                return standardAttention!(normalised, cache: &cache)
            }
        }
    }

    private func forward(_ input: Tensor, attention: (Tensor) -> Tensor) -> Tensor {
        let attended = input + attentionDropout(attention(attentionNorm(input)))
        let hidden = feedForwardIn(feedForwardNorm(attended), activation: .gelu)
        return attended + feedForwardDropout(feedForwardOut(hidden))
    }
}
