import FunnelNN
import FunnelTensor

/// FAIR's stochastic perturbation of the input (sequential.md §4.4, noise robustness): every
/// real history item is replaced, with probability ρ, by an item drawn uniformly from 1 … N.
/// Its generator is derived anew each step from the run seed (``RandomLayer``), so a resumed run
/// draws the same replacements.
final class HistoryPerturbation: Module, RandomLayer {
    let probability: Float
    let itemCount: Int
    let seed: UInt64
    private var generator: RandomGenerator

    init(probability: Float, itemCount: Int, seed: UInt64) {
        self.probability = probability
        self.itemCount = itemCount
        self.seed = seed
        generator = RandomGenerator(seed: seed)
        super.init()
    }

    func reseed(_ stepSeed: UInt64) {
        generator = RandomGenerator(seed: seed ^ stepSeed)
    }

    /// `history` with its items replaced as above (all of a replaced item's tokens change).
    func callAsFunction(_ history: SemanticIDHistory, itemTokens: [Int32]) -> SemanticIDHistory {
        history.perturbed(probability: probability, itemTokens: itemTokens, itemCount: itemCount, random: &generator)
    }
}
