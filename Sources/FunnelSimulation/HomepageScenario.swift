import Foundation
import FunnelData
import FunnelTensor

/// The homepage world of USD (Zheng et al., RecSys 2025; seed `002_…`; entire-space.md §10).
///
/// Users open the homepage on some days and see a marketing block of two items (`blockItems`),
/// shown by popularity or by a personalised ranker (``HomepagePolicy``). A visit is
/// goal-driven (a search) or browsing; goal-driven visits rarely look at the block, so many
/// non-clicks are pseudo-negatives. Each day a user may intend to visit the marketing portal;
/// some enter it by clicking a block item — a pseudo-positive, unrelated to interest in the item —
/// and others through icons or notifications. Clicks driven by interest happen only on looked-at
/// blocks, with probability σ(bias + scale·⟨taste, trait⟩ + item bias).
///
/// Tables: `train`/`test` exposures (user, item, day, position, click, and the truth columns
/// `interest_probability` — the click probability had the user looked, `attention_propensity`,
/// `portal_click_propensity`); side tables `user` (profile), `item` (category, price level)
/// and `user-day` (`portal_visit` y_p, `block_click` y_b, the past-month `intent_sequence` with
/// tokens −1/0/1 stored as ids 1/2/3, `recent_portal` r_p, the recent `clicked_items`, and the
/// truth `portal_intent_probability`). Mechanisms of USD's premise behind knobs (on by default, off
/// in the ``firstWorlds``): attention that follows the day's portal intent, portal clicks drawn
/// to a subsidy badge (item column `item_subsidy`) and the first slot, categories that tell the
/// item's traits, a profile of several taste dimensions (`user_segment_1`, …), the ranker's
/// propensity per exposure (`exposure_propensity`) and labels drawn from the truth
/// (`interest_click`). Invariants: y = 1 ⇒ y_b = 1 ⇒ y_p = 1; the sequence
/// covers the 30 days before the day, never the day itself.
///
/// Drift (the shared ``DriftKnobs``, all off by default; adaptation.md §2): each user's taste may
/// take a daily random-walk step (through the warm-up month too), and on `shiftDay` a share of
/// users redraw their taste, new items enter the block (never shown before, warm-up included) and
/// a share of the items lose interest appeal. `interest_probability` is then the probability on
/// the day of the exposure, and two truth columns are added: `after_shift` (1 on days ≥
/// `shiftDay`) and `shifted` (1 when, from `shiftDay` on, the exposure's user redrew their taste
/// or its item is new or collapsed). The user segment stays the coarse view of the first
/// warm-up day's taste (a stale profile). Drift draws come from streams of their own; a changed
/// click still changes the user's later draws (a block click skips the other-entry draw).
public enum HomepageScenario: Scenario {
    /// The knobs of the first homepage worlds, before issue 15 (the earlier tables): blocks of two
    /// items shown by popularity, attention by visit type alone, portal clicks on a random slot,
    /// random categories, one profile segment, 8 taste dimensions, no labels drawn from the truth.
    /// With them a world is the first worlds' bit for bit (`--preset first-worlds`).
    public static let firstWorlds: [String: String] = [
        "personalisedPolicy": "false", "intentDrivenAttention": "false", "displayedPortalChoice": "false",
        "informativeCategories": "false", "blockItems": "2", "profileDimensions": "1", "latentDimensions": "8",
        "oracleLabels": "false",
    ]

    public static func simulate(users: Int, days: Int, seed: UInt64, knobs: Knobs) throws -> SimulatedWorld {
        guard users > 0, days > knobs.evaluationDays, knobs.evaluationDays > 0 else {
            throw KnobParser.KnobError(description: "homepage: needs users > 0 and days > evaluationDays > 0")
        }
        guard knobs.items > 1, knobs.itemCategories > 0, knobs.userSegments > 0, knobs.latentDimensions > 0,
            knobs.historyDays >= 7, knobs.clickHistoryLength >= 0
        else {
            throw KnobParser.KnobError(
                description: "homepage: needs items > 1, positive categories, segments and dimensions, historyDays ≥ 7")
        }
        // Shares enter as logits (open interval); attention and entry are plain probabilities.
        let shares = [knobs.dailyActivity, knobs.goalDrivenShare, knobs.blockEntryShare]
        let probabilities = [
            knobs.goalDrivenAttention, knobs.browsingAttention, knobs.otherEntryProbability, knobs.intentAttention,
            knobs.casualBrowsingAttention, knobs.policyExploration, knobs.subsidyShare,
        ]
        guard shares.allSatisfy({ $0 > 0 && $0 < 1 }), probabilities.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw KnobParser.KnobError(
                description: "homepage: dailyActivity, goalDrivenShare and blockEntryShare must lie in (0, 1); attentions, otherEntryProbability, policyExploration and subsidyShare in [0, 1]")
        }
        guard knobs.policyTemperature > 0, knobs.policyTasteNoise >= 0 else {
            throw KnobParser.KnobError(description: "homepage: needs policyTemperature > 0 and policyTasteNoise ≥ 0")
        }
        guard knobs.blockItems >= 1, knobs.blockItems <= knobs.items,
            (1...knobs.latentDimensions).contains(knobs.profileDimensions)
        else {
            throw KnobParser.KnobError(
                description: "homepage: needs 1 ≤ blockItems ≤ items and 1 ≤ profileDimensions ≤ latentDimensions")
        }
        try knobs.drift.validate(days: days, items: knobs.items, world: "homepage")
        let world = HomepageWorld(seed: seed, knobs: knobs)
        // Users are independent given the items.
        let logs = simulateInChunks(users: users, empty: HomepageLog()) { user, log in
            world.simulateUser(user, days: days, into: &log)
        }
        return HomepageTables(knobs: knobs, users: users, days: days, world: world).assemble(logs)
    }
}

/// The fixed parts of a homepage world: item traits and the exposure policy.
struct HomepageWorld: Sendable {
    let knobs: HomepageScenario.Knobs
    let seed: UInt64
    let itemTraits: [Float]
    let itemBias: [Float]
    let itemCategory: [Int32]
    let itemPriceLevel: [Int32]
    /// 1 for items shown with a subsidy badge (`subsidyShare` of them, independent of their
    /// traits: the badge says nothing of interest), drawn from a stream of their own.
    let itemSubsidy: [Int32]
    /// Walker's alias table of the exposure policy (popular items are shown more): item i is
    /// shown with probability ∝ exp(item bias). With a shift, the table before the shift day.
    let aliasProbability: [Float]
    let alias: [Int32]
    /// With a shift: the alias table from the shift day on (empty without one).
    let aliasProbabilityAfterShift: [Float]
    let aliasAfterShift: [Int32]
    let drift: Drift

    init(seed: UInt64, knobs: HomepageScenario.Knobs) {
        self.knobs = knobs
        self.seed = seed
        var random = RandomGenerator(seed: seed ^ 0x1717_1717)
        let scale = Float(1 / Double(knobs.latentDimensions).squareRoot())
        itemTraits = (0..<knobs.items * knobs.latentDimensions).map { _ in random.nextNormal() * scale }
        itemBias = (0..<knobs.items).map { _ in random.nextNormal() * Float(knobs.itemPopularitySpread) }
        let drawnCategory = (0..<knobs.items).map { _ in Int32(random.next() % UInt64(knobs.itemCategories)) }
        itemCategory = knobs.informativeCategories
            ? Self.nearestDirections(itemTraits, dimensions: knobs.latentDimensions, count: knobs.itemCategories, seed: seed)
            : drawnCategory
        itemPriceLevel = (0..<knobs.items).map { _ in Int32(random.next() % 5) }
        var badges = RandomGenerator(seed: seed ^ 0x5B_51D7)
        itemSubsidy = (0..<knobs.items).map { _ in Double(badges.nextUnitFloat()) < knobs.subsidyShare ? 1 : 0 }
        let drift = Drift(seed: seed, items: knobs.items, knobs: knobs.drift)
        self.drift = drift
        let weights = itemBias.map { Foundation.exp(Double($0)) }
        (aliasProbability, alias) = Self.aliasTable(drift.exposureWeights(weights, afterShift: false))
        (aliasProbabilityAfterShift, aliasAfterShift) =
            knobs.drift.hasShift ? Self.aliasTable(drift.exposureWeights(weights, afterShift: true)) : ([], [])
    }

    /// Each item's category as the index of the most aligned of `count` random directions (a
    /// stream of their own): items of one category share the direction of their traits.
    static func nearestDirections(_ traits: [Float], dimensions: Int, count: Int, seed: UInt64) -> [Int32] {
        var random = RandomGenerator(seed: seed ^ 0xCA7E_6021)
        let directions = (0..<count * dimensions).map { _ in random.nextNormal() }
        return (0..<traits.count / dimensions).map { item in
            var best = (category: 0, alignment: -Float.infinity)
            for category in 0..<count {
                var alignment: Float = 0
                var norm: Float = 0
                for dimension in 0..<dimensions {
                    let direction = directions[category * dimensions + dimension]
                    alignment += traits[item * dimensions + dimension] * direction
                    norm += direction * direction
                }
                alignment /= norm.squareRoot()
                if alignment > best.alignment { best = (category, alignment) }
            }
            return Int32(best.category)
        }
    }

    /// O(1) draws from a discrete distribution (Walker 1977, Vose's construction).
    static func aliasTable(_ weights: [Double]) -> ([Float], [Int32]) {
        let count = weights.count
        let total = weights.reduce(0, +)
        var scaled = weights.map { $0 * Double(count) / total }
        var probability = [Float](repeating: 1, count: count)
        var alias = [Int32](repeating: 0, count: count)
        var small = scaled.indices.filter { scaled[$0] < 1 }
        var large = scaled.indices.filter { scaled[$0] >= 1 }
        while let lower = small.popLast(), let higher = large.last {
            probability[lower] = Float(scaled[lower])
            alias[lower] = Int32(higher)
            scaled[higher] -= 1 - scaled[lower]
            if scaled[higher] < 1 {
                large.removeLast()
                small.append(higher)
            }
        }
        return (probability, alias)
    }

    /// The policy that fills `user`'s block (``HomepagePolicy``), whose taste on the first
    /// warm-up day is `taste`.
    func policy(for user: Int, taste: [Float]) -> HomepagePolicy {
        knobs.personalisedPolicy ? HomepagePolicy(personalisedFor: user, taste: taste, world: self) : HomepagePolicy(popularityOf: self)
    }
}

func sigmoid(_ value: Double) -> Double { 1 / (1 + Foundation.exp(-value)) }
func logit(_ probability: Double) -> Double { Foundation.log(probability / (1 - probability)) }
