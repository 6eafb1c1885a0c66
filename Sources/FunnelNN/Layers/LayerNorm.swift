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

/// Inverted dropout (Srivastava et al., JMLR 2014): in training, each value is zeroed with
/// probability `probability` and the rest scaled by 1/(1 − probability); in evaluation mode the
/// identity.
///
/// The mask comes from the layer's generator, which the trainer derives anew before every step
/// from (run seed, epoch, step) and the layer's own seed (``Module/randomLayers()``), so
/// a resumed run draws the masks an uninterrupted one draws.
public final class Dropout: Module, RandomLayer {
    public let probability: Float
    /// The layer's own seed, mixed into every step's generator.
    public let seed: UInt64
    private var generator: RandomGenerator

    public init(probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Funnel: dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        self.seed = seed
        generator = RandomGenerator(seed: seed)
        super.init()
    }

    public func reseed(_ stepSeed: UInt64) {
        generator = RandomGenerator(seed: seed ^ stepSeed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return input }
        let keep = 1 - probability
        var mask = [Float](repeating: 0, count: input.count)
        for index in mask.indices where generator.nextUnitFloat() < keep { mask[index] = 1 / keep }
        return input * Tensor(shape: input.shape, scalars: mask)
    }
}
