import FunnelNN
import FunnelTensor

/// Draws the negatives of a sequential model's training losses from the step's generator
/// (derived anew every step from the run seed, epoch and step, so a resumed run draws the same
/// items): uniformly over the catalogue's real items `1 ... items`.
///
/// sequential.md §1.1: one negative per position outside the user's training items (BCE);
/// the sampled softmax shares `k` negatives across the batch (the PyTorch anchor's form).
public final class SequenceNegativeSampler: Module, RandomLayer {
    /// The number of real items (ids `1 ... items`).
    public let items: Int
    /// The sampler's own seed, mixed into every step's generator.
    public let seed: UInt64
    private var generator: RandomGenerator

    public init(items: Int, seed: UInt64) {
        precondition(items >= 2, "Funnel: a catalogue of \(items) items leaves no negative to draw")
        self.items = items
        self.seed = seed
        generator = RandomGenerator(seed: seed)
        super.init()
    }

    public func reseed(_ stepSeed: UInt64) {
        generator = RandomGenerator(seed: seed ^ stepSeed)
    }

    /// One item per entry of `excluded`, never one of that entry's items (when the catalogue
    /// leaves any other).
    public func draw(excluding excluded: [Set<Int32>]) -> [Int32] {
        excluded.map { seen in
            guard seen.count < items else { return next() }
            while true {
                let item = next()
                if !seen.contains(item) { return item }
            }
        }
    }

    /// `count` items drawn uniformly with replacement.
    public func draw(_ count: Int) -> [Int32] {
        (0..<count).map { _ in next() }
    }

    private func next() -> Int32 {
        Int32(1 + generator.next() % UInt64(items))
    }
}
