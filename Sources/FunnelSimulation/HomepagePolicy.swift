import Foundation
import FunnelTensor

/// What the homepage block shows one user (USD's world; issue 15's personalised logging policy).
///
/// By popularity (the first worlds): item i with probability ∝ exp(item bias), the same for
/// every user. Personalised (`personalisedPolicy`): a ranker's softmax over a noisy, stale
/// estimate of the user's taste — the taste of the first warm-up day plus N(0, policyTasteNoise²)
/// per dimension, scored as interest is, `(interestScale·⟨estimate, trait⟩ + item bias) /
/// policyTemperature` — mixed with uniform exploration (`policyExploration`). Exposure then
/// depends on the user and the item, so it carries item-level selection bias, and its
/// propensity (``drawProbability``) is known. With a drift shift, new items are hidden before the
/// shift day and boosted from it, under either policy.
struct HomepagePolicy: Sendable {
    /// Walker's alias tables before and from the shift day (the same table without a shift).
    let probability: [Float], alias: [Int32]
    let probabilityAfterShift: [Float], aliasAfterShift: [Int32]
    /// Each item's probability per draw, before and from the shift day (personalised only).
    let drawProbability: [Float], drawProbabilityAfterShift: [Float]

    /// The popularity policy of `world`.
    init(popularityOf world: HomepageWorld) {
        probability = world.aliasProbability
        alias = world.alias
        probabilityAfterShift = world.aliasProbabilityAfterShift
        aliasAfterShift = world.aliasAfterShift
        drawProbability = []
        drawProbabilityAfterShift = []
    }

    /// The personalised policy of `user`, whose taste on the first warm-up day is `taste`. Its
    /// noise comes from a stream of its own, so a user's taste and habits are those of the
    /// popularity world (what the user is shown, and so what follows, differs).
    init(personalisedFor user: Int, taste: [Float], world: HomepageWorld) {
        let knobs = world.knobs
        var random = userGenerator(seed: world.seed ^ 0x9011_C1E5_0000_0015, user: user)
        let dimensions = knobs.latentDimensions
        let estimate = taste.map { $0 + Float(knobs.policyTasteNoise) * random.nextNormal() }
        var scores = (0..<knobs.items).map { item -> Double in
            var affinity: Float = 0
            for dimension in 0..<dimensions { affinity += estimate[dimension] * world.itemTraits[item * dimensions + dimension] }
            return (knobs.interestScale * Double(affinity) + Double(world.itemBias[item])) / knobs.policyTemperature
        }
        let maximum = scores.max() ?? 0
        var total = 0.0
        for item in scores.indices {
            scores[item] = Foundation.exp(scores[item] - maximum)
            total += scores[item]
        }
        let uniform = knobs.policyExploration / Double(knobs.items)
        let mixed = scores.map { (1 - knobs.policyExploration) * $0 / total + uniform }
        let before = world.drift.exposureWeights(mixed, afterShift: false)
        let after = world.drift.exposureWeights(mixed, afterShift: true)
        (probability, alias) = HomepageWorld.aliasTable(before)
        (probabilityAfterShift, aliasAfterShift) = knobs.drift.hasShift ? HomepageWorld.aliasTable(after) : ([], [])
        drawProbability = Self.normalised(before)
        drawProbabilityAfterShift = knobs.drift.hasShift ? Self.normalised(after) : []
    }

    private static func normalised(_ weights: [Double]) -> [Float] {
        let total = weights.reduce(0, +)
        return weights.map { Float($0 / total) }
    }

    /// An item drawn on `day` (two draws whatever the policy and the day).
    func drawItem(_ random: inout RandomGenerator, afterShift: Bool) -> Int {
        let probability = afterShift ? probabilityAfterShift : self.probability
        let slot = Int(random.next() % UInt64(probability.count))
        return random.nextUnitFloat() < probability[slot] ? slot : Int((afterShift ? aliasAfterShift : alias)[slot])
    }

    /// The probability that one draw on that side of the shift picks `item` (`nil` for the
    /// popularity policy, whose propensity is not recorded).
    func propensity(of item: Int, afterShift: Bool) -> Float? {
        let probabilities = afterShift ? drawProbabilityAfterShift : drawProbability
        return probabilities.isEmpty ? nil : probabilities[item]
    }
}
