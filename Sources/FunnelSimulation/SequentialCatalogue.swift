import Foundation
import FunnelTensor

/// The items of a sequential world: categories, latent vectors and popularity.
///
/// Categories have equal sizes and unit centres (normalised `N(0, I)` draws); an item's vector
/// is its category's centre plus `itemSpread`-scaled noise of norm ≈ 1, normalised, so items of
/// one category are latent neighbours (cosine ≈ 0.8 at the default spread) and, all vectors
/// being unit, no item is a hub that every interest pulls towards. Popularity is Zipf-like: a random
/// permutation ranks the items and the item of rank r has the logit `−popularityExponent·ln r`.
/// Arrays are indexed by `item − 1` (ids are 1...items).
public struct SequentialCatalogue: Sendable, Equatable {
    public let items: Int
    public let latentDimensions: Int
    /// `[categories × latentDimensions]`, row-major.
    public let categoryCentres: [Float]
    /// `[items]`: the category of item `index + 1`, in 0..<categories.
    public let itemCategory: [Int32]
    /// `[items × latentDimensions]`, row-major.
    public let itemVectors: [Float]
    /// `[latentDimensions × items]`: `itemVectors` transposed, for the simulation's hot loop.
    let itemVectorsByDimension: [Float]
    /// `[items]`: the popularity logit of item `index + 1` (0 for the most popular item).
    public let popularityLogit: [Float]

    init(knobs: SequentialWorld.Knobs, seed: UInt64) {
        var random = RandomGenerator(seed: seed ^ 0x5E90_3A1C_77D2_B415)
        let dimensions = knobs.latentDimensions
        let scale = Float(1 / Double(dimensions).squareRoot())
        items = knobs.items
        latentDimensions = dimensions
        let centres = Self.normalised(
            (0..<knobs.categories * dimensions).map { _ in random.nextNormal() }, dimensions)
        categoryCentres = centres
        let categories = (0..<knobs.items).map { Int32($0 % knobs.categories) }
        // Shuffling the balanced assignment decouples an item's id from its category.
        itemCategory = Self.shuffled(categories, &random)
        let spread = Float(knobs.itemSpread) * scale
        var vectors = [Float](repeating: 0, count: knobs.items * dimensions)
        for item in 0..<knobs.items {
            let category = Int(itemCategory[item])
            for dimension in 0..<dimensions {
                vectors[item * dimensions + dimension] =
                    centres[category * dimensions + dimension] + spread * random.nextNormal()
            }
        }
        let normalised = Self.normalised(vectors, dimensions)
        itemVectors = normalised
        itemVectorsByDimension = (0..<dimensions * knobs.items).map {
            normalised[($0 % knobs.items) * dimensions + $0 / knobs.items]
        }
        let ranks = Self.shuffled(Array(1...knobs.items), &random)
        popularityLogit = ranks.map {
            Float(-knobs.popularityExponent * Foundation.log(Double($0)))
        }
    }

    /// The inner product of item `index + 1`'s vector with `vector`.
    func affinity(_ index: Int, _ vector: [Float]) -> Float {
        var sum: Float = 0
        for dimension in 0..<latentDimensions {
            sum += itemVectors[index * latentDimensions + dimension] * vector[dimension]
        }
        return sum
    }

    /// Each row of `values` (`[rows × dimensions]`) divided by its norm.
    static func normalised(_ values: [Float], _ dimensions: Int) -> [Float] {
        var values = values
        for start in stride(from: 0, to: values.count, by: dimensions) {
            let norm = values[start..<start + dimensions].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for index in start..<start + dimensions { values[index] /= Swift.max(norm, 1e-12) }
        }
        return values
    }

    /// A Fisher–Yates shuffle drawn from the world's generator (the standard library's
    /// `shuffled(using:)` does not promise the same order across versions).
    static func shuffled<Element>(_ values: [Element], _ random: inout RandomGenerator) -> [Element]
    {
        var values = values
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            let other = Int(random.next() % UInt64(index + 1))
            values.swapAt(index, other)
        }
        return values
    }
}
