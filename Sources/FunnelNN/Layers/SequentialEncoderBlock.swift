import FunnelTensor

/// One self-attention block of a sequential recommender, in the three arrangements that
/// sequential.md §1.1–§1.2 tells apart (mixing them changes results, §1.4):
/// - ``Arrangement/normalisedQueryResidual`` — original SASRec (kang205/SASRec `model.py`):
///   `Q = LN(X)`, `X = Q + MHA(Q, X, X)`, `X' = LN(X)`, `X = X' + FFN(X')`;
/// - ``Arrangement/postNorm`` — the PyTorch port RoTE builds on (and RecBole's BERT blocks):
///   `X = LN(X + MHA(X))`, `X = LN(X + FFN(X))`;
/// - ``Arrangement/preNorm`` — GPT-2 style: `X = X + MHA(LN(X))`, `X = X + FFN(LN(X))`.
/// `FFN(x) = Dropout(W₂ act(Dropout(W₁x + b₁)) + b₂)` (RecBole has no inner dropout:
/// `innerDropout` false). Padded positions are zeroed after the
/// block (`X *= mask`), as the original does.
///
/// Shapes: input `[batch, length, dimensions]`, mask `[batch, length, 1]` (1 real, 0 padding)
/// → `[batch, length, dimensions]`.
public final class SequentialEncoderBlock: Module {
    /// Where the layer normalisations and residuals sit.
    public enum Arrangement: String, Sendable, Codable, CaseIterable, StrictEnum {
        case normalisedQueryResidual
        case postNorm
        case preNorm
    }

    public let attention: CausalSelfAttention
    public let attentionNorm: LayerNorm
    public let feedForwardNorm: LayerNorm
    public let feedForwardIn: Linear
    public let feedForwardOut: Linear
    public let hiddenDropout: Dropout
    public let outputDropout: Dropout
    public let attentionOutputDropout: Dropout
    public let arrangement: Arrangement
    public let activation: Activation

    public init(
        dimensions: Int, heads: Int, feedForwardDimensions: Int, arrangement: Arrangement, activation: Activation,
        dropout: Float, attentionDropout: Float, innerDropout: Bool = true, outputProjection: Bool, layerNormEpsilon: Float,
        initializer: Initializer, generator: inout RandomGenerator
    ) {
        attention = CausalSelfAttention(
            dimensions: dimensions, heads: heads, outputProjection: outputProjection, weightDropout: attentionDropout,
            initializer: initializer, generator: &generator)
        attentionNorm = LayerNorm(dimensions: dimensions, epsilon: layerNormEpsilon)
        feedForwardNorm = LayerNorm(dimensions: dimensions, epsilon: layerNormEpsilon)
        feedForwardIn = Linear(dimensions, feedForwardDimensions, initializer: initializer, generator: &generator)
        feedForwardOut = Linear(feedForwardDimensions, dimensions, initializer: initializer, generator: &generator)
        hiddenDropout = Dropout(probability: innerDropout ? dropout : 0, seed: generator.next())
        outputDropout = Dropout(probability: dropout, seed: generator.next())
        // The original applies dropout to the weights only; the ports also drop the attention's
        // output before the residual (RecBole's hidden dropout).
        attentionOutputDropout = Dropout(probability: arrangement == .normalisedQueryResidual ? 0 : dropout, seed: generator.next())
        self.arrangement = arrangement
        self.activation = activation
        super.init()
    }

    /// - Parameters:
    ///   - attentionMask: additive, broadcastable to `[batch, heads, length, length]`.
    ///   - rotate, attend: the attention's seams (``CausalSelfAttention``).
    public func callAsFunction(
        _ input: Tensor, valid: Tensor, attentionMask: Tensor, rotate: ((Tensor) -> Tensor)? = nil,
        attend: ((Tensor, Tensor, Tensor, Tensor?, (keep: Float, key: UInt64)?) -> Tensor)? = nil
    ) -> Tensor {
        // `residual + sublayer(x)`; without output dropout the output projection's GEMM adds the
        // residual (the same sums, no pass of their own).
        func attended(_ residual: Tensor, queries: Tensor, keys: Tensor) -> Tensor {
            guard attentionOutputDropout.isIdentity else {
                return residual + attentionOutputDropout(
                    attention(queries: queries, keys: keys, mask: attentionMask, rotate: rotate, attend: attend))
            }
            return attention(queries: queries, keys: keys, mask: attentionMask, rotate: rotate, attend: attend, adding: residual)
        }
        func fedForward(_ residual: Tensor, _ x: Tensor) -> Tensor {
            if let fused = fusedFeedForward(x, adding: residual) { return fused }
            let hidden = hiddenDropout(feedForwardIn(x, activation: activation))
            guard outputDropout.isIdentity else { return residual + outputDropout(feedForwardOut(hidden)) }
            return feedForwardOut(hidden, adding: residual)
        }
        let output: Tensor
        switch arrangement {
        case .normalisedQueryResidual:
            let queries = attentionNorm(input)
            let normalised = feedForwardNorm(attended(queries, queries: queries, keys: input))
            output = fedForward(normalised, normalised)
        case .postNorm:
            let mixed = attentionNorm(attended(input, queries: input, keys: input))
            output = feedForwardNorm(fedForward(mixed, mixed))
        case .preNorm:
            let normalised = attentionNorm(input)
            let mixed = attended(input, queries: normalised, keys: normalised)
            output = fedForward(mixed, feedForwardNorm(mixed))
        }
        return Self.keepingValid(output, valid)
    }

    /// `residual + feedForwardOut(GELU(feedForwardIn(x)))` as one primitive
    /// (``Tensor/feedForwardGELU(_:inWeight:inBias:outWeight:outBias:adding:)``, its backward
    /// fused across the two layers), or `nil` where the sublayer is not that: another
    /// activation, dropout inside or after it, a layer without bias or recording its input.
    ///
    /// Shapes: x and residual `[..., dimensions]` → the residual's.
    func fusedFeedForward(_ x: Tensor, adding residual: Tensor) -> Tensor? {
        guard activation == .gelu, hiddenDropout.isIdentity, outputDropout.isIdentity,
            let inBias = feedForwardIn.bias, let outBias = feedForwardOut.bias,
            feedForwardIn.inputRecording == nil, feedForwardOut.inputRecording == nil, residual.shape == x.shape
        else { return nil }
        let dimensions = x.shape[x.rank - 1]
        return Tensor.feedForwardGELU(
            x.reshaped([-1, dimensions]), inWeight: feedForwardIn.weight, inBias: inBias,
            outWeight: feedForwardOut.weight, outBias: outBias, adding: residual.reshaped([-1, dimensions])
        ).reshaped(residual.shape)
    }

    /// `x * valid`, or `x` itself when every position is real (full-length histories): the
    /// product would copy `[batch, length, dimensions]` forward and backward for the same values.
    public static func keepingValid(_ x: Tensor, _ valid: Tensor) -> Tensor {
        let allReal = valid.withUnsafeBufferPointer { $0.allSatisfy { $0 == 1 } }
        return allReal ? x : x * valid
    }
}
