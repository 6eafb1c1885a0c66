import FunnelData
import FunnelModels
import FunnelTensor

/// Random semantic IDs, logits and token tables for the decoding tests, all from a seed.
enum DecodingFixtures {
    /// N items with uniform random codes, then `duplicates` items given an earlier item's tuple.
    static func semanticIDs(
        itemCount: Int, digitSizes: [Int], duplicates: Int = 0, ordered: Bool = true, seed: UInt64
    ) -> SemanticIDs {
        var generator = RandomGenerator(seed: seed)
        let digits = digitSizes.count
        var codes = [Int32](repeating: 0, count: (itemCount + 1) * digits)
        for item in stride(from: 1, through: itemCount, by: 1) {
            for digit in 0..<digits {
                codes[item * digits + digit] = Int32(
                    Int.random(in: 0..<digitSizes[digit], using: &generator))
            }
        }
        if itemCount >= 2 {
            for _ in 0..<duplicates {
                let source = Int.random(in: 1...itemCount, using: &generator)
                let copy = Int.random(in: 1...itemCount, using: &generator)
                for digit in 0..<digits {
                    codes[copy * digits + digit] = codes[source * digits + digit]
                }
            }
        }
        return SemanticIDs(
            method: ordered ? "residualKMeans" : "productQuantisation", digitSizes: digitSizes,
            ordered: ordered,
            trainedItems: itemCount, source: "test", codes: codes)
    }

    /// `[users, Σ K_k]` normal logits; with `levels`, rounded to that many steps per unit so that
    /// codes (and items) tie.
    static func logits(users: Int, digitSizes: [Int], levels: Float? = nil, seed: UInt64) -> [Float]
    {
        var generator = RandomGenerator(seed: seed)
        return (0..<(users * digitSizes.reduce(0, +))).map { _ in
            let value = 2 * generator.nextNormal()
            guard let levels else { return value }
            return (value * levels).rounded() / levels
        }
    }

    /// Log-probabilities from ``logits(users:digitSizes:levels:seed:)``.
    static func logProbabilities(
        users: Int = 1, digitSizes: [Int], levels: Float? = nil, seed: UInt64
    ) -> DigitLogProbabilities {
        DigitLogProbabilities(
            logits: logits(users: users, digitSizes: digitSizes, levels: levels, seed: seed),
            digitSizes: digitSizes, users: users)
    }

    /// `[Σ K_k, dimensions]` normal token embeddings.
    static func tokenEmbeddings(digitSizes: [Int], dimensions: Int, seed: UInt64) -> [Float] {
        var generator = RandomGenerator(seed: seed)
        return (0..<(digitSizes.reduce(0, +) * dimensions)).map { _ in generator.nextNormal() }
    }

    /// Every item's tuple, `[N + 1][M]` (row 0 the padding's zeros).
    static func tuples(_ semanticIDs: SemanticIDs) -> [[Int32]] {
        (0...semanticIDs.itemCount).map { Array(semanticIDs.codes(item: $0)) }
    }
}
