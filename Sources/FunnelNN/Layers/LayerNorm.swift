import FunnelTensor

/// Layer normalisation over the last axis (Ba, Kiros & Hinton, arXiv 1607.06450):
/// `(x − mean) / √(variance + ε) · gain + offset`, with the biased variance as PyTorch.
///
/// Shapes: input and output `[..., dimensions]`.
public final class LayerNorm: Module {
    public let gain: Tensor
    public let offset: Tensor
    public let epsilon: Float

    public init(dimensions: Int, epsilon: Float = 1e-5) {
        gain = Tensor.ones([dimensions], requiresGradient: true)
        offset = Tensor.zeros([dimensions], requiresGradient: true)
        self.epsilon = epsilon
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        Tensor.layerNormalized(input, gain: gain, offset: offset, epsilon: epsilon)
    }
}
