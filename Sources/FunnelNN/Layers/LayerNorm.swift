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
        let mean = input.mean(alongAxes: [-1], keepingDimensions: true)
        let centered = input - mean
        let variance = (centered * centered).mean(alongAxes: [-1], keepingDimensions: true)
        return centered / (variance + epsilon).sqrt() * gain + offset
    }
}

/// Inverted dropout (Srivastava et al., JMLR 2014): in training, each value is zeroed with
/// probability `probability` and the rest scaled by 1/(1 − probability); in evaluation mode the
/// identity. The mask comes from the layer's own seeded generator.
public final class Dropout: Module {
    public let probability: Float
    private var generator: RandomGenerator

    public init(probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Funnel: dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        generator = RandomGenerator(seed: seed)
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return input }
        let keep = 1 - probability
        var mask = [Float](repeating: 0, count: input.count)
        for index in mask.indices where generator.nextUnitFloat() < keep { mask[index] = 1 / keep }
        return input * Tensor(shape: input.shape, scalars: mask)
    }
}
