import Foundation
import FunnelTensor

/// Focused attention, FAIR's name for differential attention (Ye et al., "Differential
/// Transformer", arXiv 2410.05258, `multihead_diffattn.py`; sequential.md §4.3): each head's map
/// is the difference of two softmax maps, which cancels attention noise common to both.
///
/// Per head h of width d (query and key projections `dimensions → 2·heads·d`, value projection
/// `dimensions → heads·2d`; by default `2·heads·d = dimensions`, half as many heads as a plain
/// Transformer so that parameter counts match):
///
///     A_h = softmax(Q1_h K1_hᵀ/√d + M) − λ·softmax(Q2_h K2_hᵀ/√d + M)
///     λ   = exp(λq1·λk1) − exp(λq2·λk2) + λ_init,  λ_init(l) = 0.8 − 0.6·exp(−0.3·l)
///     O_h = (1 − λ_init)·RMSNorm(A_h V_h)   (over the 2d channels, ε = 1e-5, scale shared by heads)
///
/// then the heads are joined and projected back to `dimensions`. The projected queries and
/// keys hold 2·heads heads of width d, heads 2h and 2h + 1 being (Q1_h, Q2_h); the two maps
/// of head h share value head h, so the whole layer is one fused attention call with
/// `valueGroups: 2` (``FunnelTensor/Tensor/attention(queries:keys:values:heads:valueGroups:mask:closedBelow:dropout:)``),
/// whose output `[B, L, heads, 2, 2d]` holds `softmax₁·V` and `softmax₂·V`, combined as
/// `O1 − λ·O2` (the same as `A·V` by linearity).
///
/// The λ vectors are drawn from N(0, 0.1) as in the reference. The reference's projections
/// have no bias; `bias: true` (the default) gives them one, as GPT-2's attention (which FAIR's
/// RPG backbone is) has, so that this layer has the parameters of ``CausalSelfAttention`` with
/// `2·heads` heads plus the four λ vectors and the norm's scale (6d more).
///
/// Shapes: input `[batch, length, dimensions]`, mask additive and broadcastable to
/// `[batch, 1, length, length]` (the same for every head; ``MultiHeadAttention/blocked``
/// blocks) → `[batch, length, dimensions]`. Row sums of `A` are `1 − λ`, and entries may be
/// negative: they are never renormalised (§4.8).
public final class FocusedAttention: Module, RandomLayer {
    public let queryProjection: Linear
    public let keyProjection: Linear
    public let valueProjection: Linear
    public let outputProjection: Linear
    /// λ's re-parameterisation, each `[headWidth]`.
    public let lambdaQuery1: Tensor
    public let lambdaKey1: Tensor
    public let lambdaQuery2: Tensor
    public let lambdaKey2: Tensor
    /// The per-head RMSNorm over `2·headWidth` channels (the reference's `subln`).
    public let headNorm: RMSNorm
    public let heads: Int
    /// d: the width of one query or key head (values are 2d wide).
    public let headWidth: Int
    /// λ_init, which also scales the output by `1 − λ_init`.
    public let lambdaInitial: Float
    /// The probability of dropping an attention weight (of either map) while training.
    public let weightDropout: Float
    /// The layer's own seed, mixed into every step's generator (``RandomLayer``).
    public let seed: UInt64
    private var generator: RandomGenerator

    /// λ_init of the reference for 0-based layer index `layer`: `0.8 − 0.6·exp(−0.3·layer)`.
    public static func lambdaInitial(layer: Int) -> Float {
        Float(0.8 - 0.6 * exp(-0.3 * Double(layer)))
    }

    /// - Parameters:
    ///   - dimensions: the model width D (input and output).
    ///   - heads: H, the number of focused heads (each two maps).
    ///   - headWidth: d; `nil`: `dimensions / (2·heads)`.
    ///   - layerIndex: the 0-based layer index l that sets λ_init.
    ///   - lambdaInitial: overrides λ_init(l).
    ///   - weightDropout: attention-weight dropout, applied to both maps' weights.
    ///   - bias: whether the four projections have biases.
    ///   - initializer: the projections' weights (biases as PyTorch's `nn.Linear`).
    public init(
        dimensions: Int, heads: Int, headWidth: Int? = nil, layerIndex: Int = 0,
        lambdaInitial: Float? = nil,
        weightDropout: Float = 0, bias: Bool = true, initializer: Initializer = .fanInUniform,
        generator: inout RandomGenerator
    ) {
        let width = headWidth ?? dimensions / (2 * heads)
        precondition(
            heads > 0 && width > 0,
            "Funnel: focused attention of \(dimensions) dimensions in \(heads) heads")
        precondition(
            weightDropout >= 0 && weightDropout < 1,
            "Funnel: attention dropout \(weightDropout) outside [0, 1)")
        let projected = 2 * heads * width
        queryProjection = Linear(
            dimensions, projected, bias: bias, initializer: initializer, generator: &generator)
        keyProjection = Linear(
            dimensions, projected, bias: bias, initializer: initializer, generator: &generator)
        valueProjection = Linear(
            dimensions, projected, bias: bias, initializer: initializer, generator: &generator)
        outputProjection = Linear(
            projected, dimensions, bias: bias, initializer: initializer, generator: &generator)
        func lambdaVector() -> Tensor {
            Tensor.randomNormal(
                [width], standardDeviation: 0.1, using: &generator, requiresGradient: true)
        }
        (lambdaQuery1, lambdaKey1, lambdaQuery2, lambdaKey2) = (
            lambdaVector(), lambdaVector(), lambdaVector(), lambdaVector()
        )
        headNorm = RMSNorm(dimensions: 2 * width, epsilon: 1e-5)
        self.heads = heads
        self.headWidth = width
        self.lambdaInitial = lambdaInitial ?? Self.lambdaInitial(layer: layerIndex)
        self.weightDropout = weightDropout
        seed = generator.next()
        self.generator = RandomGenerator(seed: seed)
        super.init()
    }

    public func reseed(_ stepSeed: UInt64) {
        generator = RandomGenerator(seed: seed ^ stepSeed)
    }

    /// λ as a scalar tensor (shape `[]`) that carries gradient to the four λ vectors.
    public func lambda() -> Tensor {
        (lambdaQuery1 * lambdaKey1).sum().exp() - (lambdaQuery2 * lambdaKey2).sum().exp()
            + lambdaInitial
    }

    /// λ's current value.
    public var currentLambda: Float { withoutGradients { lambda().scalar } }

    /// - Parameters:
    ///   - input: `[batch, length, dimensions]`.
    ///   - mask: additive, broadcastable to `[batch, 1, length, length]` (a causal mask for a
    ///     decoder, plus padding); `nil`: every position sees every other.
    /// - Returns: `[batch, length, dimensions]`.
    public func callAsFunction(_ input: Tensor, mask: Tensor?) -> Tensor {
        attend(
            input, keys: keyProjection(input), values: valueProjection(input), mask: mask,
            dropout: nextWeightDropout())
    }

    /// The focused maps `A` `[batch, heads, length, length]`, computed unfused (matrix products
    /// and softmax) without dropout: for tests and for reading the attention map. A query the
    /// mask blocks from every key has a row of zeros, as in the fused layer.
    public func weights(_ input: Tensor, mask: Tensor?) -> Tensor {
        let (batch, length) = (input.shape[0], input.shape[1])
        func split(_ x: Tensor) -> Tensor {
            x.reshaped([batch, length, 2 * heads, headWidth]).permuted([0, 2, 1, 3])
        }
        let scores =
            Tensor.matmul(
                split(queryProjection(input)), split(keyProjection(input)), transposeRight: true)
            * (1 / Float(headWidth).squareRoot())
        var maps = scores
        if let mask {
            let open = withoutGradients {
                (mask .> MultiHeadAttention.blocked / 2).max(
                    alongAxes: [mask.rank - 1], keepingDimensions: true)
            }
            maps = (scores + mask).softmax() * open
        } else {
            maps = scores.softmax()
        }
        maps = maps.reshaped([batch, heads, 2, length, length])
        let first = maps.sliced(alongAxis: 2, 0..<1).reshaped([batch, heads, length, length])
        let second = maps.sliced(alongAxis: 2, 1..<2).reshaped([batch, heads, length, length])
        return first - lambda() * second
    }

    /// Attention from `input`'s positions to `keys` and `values` (projected, `[batch, keyLength,
    /// 2·heads·d]`), then the head norm, the `1 − λ_init` scale and the output projection.
    func attend(
        _ input: Tensor, keys: Tensor, values: Tensor, mask: Tensor?,
        dropout: (keep: Float, key: UInt64)?
    ) -> Tensor {
        let (batch, length) = (input.shape[0], input.shape[1])
        let attended = Tensor.attention(
            queries: queryProjection(input), keys: keys, values: values, heads: 2 * heads,
            valueGroups: 2,
            mask: mask, closedBelow: MultiHeadAttention.blocked / 2, dropout: dropout)
        let maps = attended.reshaped([batch, length, heads, 2, 2 * headWidth])
        let first = maps.sliced(alongAxis: 3, 0..<1)
        let second = maps.sliced(alongAxis: 3, 1..<2)
        let combined = (first - lambda() * second).reshaped([batch, length, heads, 2 * headWidth])
        let normalised = headNorm(combined) * (1 - lambdaInitial)
        return outputProjection(normalised.reshaped([batch, length, 2 * heads * headWidth]))
    }

    /// The attention weights' dropout for this call, `nil` in evaluation or without dropout.
    private func nextWeightDropout() -> (keep: Float, key: UInt64)? {
        guard isTraining, weightDropout > 0 else { return nil }
        return (1 - weightDropout, generator.next())
    }
}
