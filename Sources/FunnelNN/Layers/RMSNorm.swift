import FunnelTensor

/// Root-mean-square layer normalisation over the last axis (Zhang & Sennrich, "Root Mean Square
/// Layer Normalization", arXiv 1910.07467): `x / √(mean(x²) + ε) · scale`, no centring and no
/// offset. Differential Transformer normalises each head's output with it (arXiv 2410.05258,
/// `multihead_diffattn.py`'s `subln`; sequential.md §4.3), ε = 1e-5.
///
/// Built from primitives, so it needs no backward of its own.
///
/// Shapes: input and output `[..., dimensions]`; `scale` is `[dimensions]`, initialised to 1.
public final class RMSNorm: Module {
    public let scale: Tensor
    public let epsilon: Float

    public init(dimensions: Int, epsilon: Float = 1e-5) {
        scale = Tensor.ones([dimensions], requiresGradient: true)
        self.epsilon = epsilon
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            input.shape.last == scale.shape[0],
            "Funnel: RMSNorm of \(scale.shape[0]) over \(input.shape)")
        let meanSquare = (input * input).mean(alongAxes: [input.rank - 1], keepingDimensions: true)
        return input / (meanSquare + epsilon).sqrt() * scale
    }
}
