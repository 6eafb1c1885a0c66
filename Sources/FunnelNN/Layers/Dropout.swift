import FunnelTensor

/// Inverted dropout (Srivastava et al., JMLR 2014): in training, each value is zeroed with
/// probability `probability` and the rest scaled by 1/(1 − probability); in evaluation mode the
/// identity.
///
/// Each call draws one key from the layer's generator, which the trainer derives anew before
/// every step from (run seed, epoch, step) and the layer's own seed (``Module/randomLayers()``),
/// so a resumed run draws the masks an uninterrupted one draws; the mask is a hash of the key
/// and the element's index (``FunnelTensor/Tensor/dropout(_:keep:key:)``).
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

    /// Whether a call returns its input unchanged (evaluation, or probability 0).
    public var isIdentity: Bool { !isTraining || probability == 0 }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard !isIdentity else { return input }
        return Tensor.dropout(input, keep: 1 - probability, key: generator.next())
    }
}
