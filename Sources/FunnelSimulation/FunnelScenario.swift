import Foundation
import FunnelData
import FunnelTensor

/// The click → conversion world of ESMM (Ma et al., SIGIR 2018, arXiv 1804.07931;
/// entire-space.md §1, §4): conversions are observed only after clicks, and clicks and
/// conversions share a cause that no model sees, so clicked rows are a biased sample for CVR.
///
/// Users visit on some days and are shown a page of items drawn by popularity. Each exposure
/// has a hidden affinity `a = ⟨taste, trait⟩ + momentary intent` (latent tastes and traits are
/// seen only through ids and coarse side features; the momentary intent by nothing), and
///
///     pCTR = σ(clickBias + affinityScale·a + item popularity + user clickiness − priceClickEffect·(price − 2))
///     pCVR = σ(conversionBias + sharedCauseWeight·a + user buying + item conversion − priceConversionEffect·(price − 2))
///
/// click ~ Bernoulli(pCTR); a purchase ~ Bernoulli(pCVR) happens only after a click, and
/// `conversion` stores click ∧ purchase (0 on non-clicked rows), as Ali-CCP does.
/// `sharedCauseWeight = 0` makes click and conversion causes independent given the observed
/// price, so a CVR model trained on clicked rows is then unbiased over all exposures; with the
/// default 1 it overestimates the entire-space CVR (≈ 3×).
///
/// Tables: `train`/`test` exposures by day (user, item, day, `click`, `conversion`, and the
/// truth of every exposure, clicked or not: `true_ctr`, `true_cvr` — the purchase probability
/// had the user clicked — and `true_ctcvr` = `true_ctr`·`true_cvr`); side tables `user`
/// (segment, age, gender) and `item` (category, price level). Invariant: conversion ⇒ click.
/// Exposures draw a fixed number of random values each, so changing `sharedCauseWeight`,
/// `conversionBias` or the conversion spreads leaves every click unchanged.
///
/// Several conversion types (`conversionTypes` 2 or 3, EKTM's parallel pattern, multitask.md
/// §4): after a click, each type t of `purchase`, `add_to_cart`, `favourite` happens with its
/// own probability
///
///     pCVR_t = σ(bias_t + sharedCauseWeight·a + √ρ·(user buying + item conversion)
///                + √(1−ρ)·(user buying_t + item conversion_t) − priceConversionEffect·(price − 2))
///
/// with `bias_t` = `conversionBias`, `addToCartBias`, `favouriteBias` and ρ =
/// `conversionCorrelation`; the type's own terms are drawn like the shared ones (same spreads),
/// independently per type, so each type's marginal does not depend on ρ. The types are drawn
/// independently given their probabilities. Labels `purchase`, `add_to_cart`, `favourite` (0 on
/// non-clicked rows) and truths `true_cvr_<type>` (given a click) and `true_ctcvr_<type>`
/// replace `conversion`, `true_cvr`, `true_ctcvr`. The type terms come from their own random
/// streams, so clicks are the same for every number of types and every ρ.
///
/// Drift (the shared ``DriftKnobs``, all off by default; adaptation.md §2): each user's taste may
/// take a daily random-walk step, and on `shiftDay` a share of users redraw their taste, new items
/// enter (never shown before) and a share of the items lose click appeal. `true_ctr` is then the
/// click probability on the day of the exposure, and two truth columns are added: `after_shift`
/// (1 on days ≥ `shiftDay`) and `shifted` (1 when, from `shiftDay` on, the exposure's user redrew
/// their taste or its item is new or collapsed). The conversion truths follow the day's taste
/// too (through the shared affinity); the collapse acts on the click logit only; the user
/// segment stays the coarse view of the first day's taste (a stale profile). Drift draws come
/// from streams of their own.
public enum FunnelScenario: Scenario {
    public static func simulate(users: Int, days: Int, seed: UInt64, knobs: Knobs) throws -> SimulatedWorld {
        try validate(users: users, days: days, knobs: knobs)
        let world = FunnelWorld(seed: seed, knobs: knobs)
        // Users are independent given the items.
        let logs = simulateInChunks(users: users, empty: FunnelLog()) { user, log in
            world.simulateUser(user, days: days, into: &log)
        }
        return FunnelTables(knobs: knobs, users: users, days: days, world: world).assemble(logs)
    }

    private static func validate(users: Int, days: Int, knobs: Knobs) throws {
        func refuse(_ reason: String) -> KnobParser.KnobError {
            KnobParser.KnobError(description: "funnel: \(reason)")
        }
        guard users > 0, days > knobs.evaluationDays, knobs.evaluationDays > 0 else {
            throw refuse("needs users > 0 and days > evaluationDays > 0")
        }
        guard knobs.items > 0, knobs.itemCategories > 0, knobs.userSegments > 0, knobs.latentDimensions > 0,
            knobs.exposuresPerVisit > 0
        else { throw refuse("items, itemCategories, userSegments, latentDimensions and exposuresPerVisit must be positive") }
        guard knobs.dailyActivity > 0, knobs.dailyActivity < 1 else { throw refuse("dailyActivity must lie in (0, 1)") }
        let spreads = [
            knobs.itemPopularitySpread, knobs.momentaryIntentSpread, knobs.userClickSpread,
            knobs.userConversionSpread, knobs.itemConversionSpread,
        ]
        guard spreads.allSatisfy({ $0 >= 0 }) else { throw refuse("spreads must be 0 or more") }
        guard (1...FunnelWorld.conversionTypeNames.count).contains(knobs.conversionTypes) else {
            throw refuse("conversionTypes must be 1, 2 or 3")
        }
        guard knobs.conversionCorrelation >= 0, knobs.conversionCorrelation <= 1 else {
            throw refuse("conversionCorrelation must lie in [0, 1]")
        }
        try knobs.drift.validate(days: days, items: knobs.items, world: "funnel")
    }
}

/// The fixed parts of a funnel world: item traits, biases, features and the exposure policy.
struct FunnelWorld: Sendable {
    static let priceLevels = 5
    /// The conversion types when `conversionTypes` > 1, in order (the first `conversionTypes`).
    static let conversionTypeNames = ["purchase", "add_to_cart", "favourite"]

    let knobs: FunnelScenario.Knobs
    let seed: UInt64
    let itemTraits: [Float]
    let itemPopularity: [Float]
    let itemConversion: [Float]
    let itemCategory: [Int32]
    let itemPriceLevel: [Int32]
    /// With several conversion types: each type's own item conversion appeal, `[type × items]`
    /// (empty with one type).
    let itemTypeConversion: [Float]
    /// With several conversion types: each type's bias.
    let conversionTypeBiases: [Double]
    /// Cumulative exposure weights of the items (popular items are shown more); with a shift,
    /// those before the shift day (no new item).
    let exposureCumulative: [Double]
    /// With a shift: the cumulative exposure weights from the shift day on (empty without one).
    let exposureCumulativeAfterShift: [Double]
    let drift: Drift

    init(seed: UInt64, knobs: FunnelScenario.Knobs) {
        self.knobs = knobs
        self.seed = seed
        var random = RandomGenerator(seed: seed ^ 0xE5_5A_0C_C1)
        let dimensions = knobs.latentDimensions
        let scale = Float(1 / Double(dimensions).squareRoot())
        let traits = (0..<knobs.items * dimensions).map { _ in random.nextNormal() * scale }
        itemTraits = traits
        itemPopularity = (0..<knobs.items).map { _ in random.nextNormal() * Float(knobs.itemPopularitySpread) }
        itemConversion = (0..<knobs.items).map { _ in random.nextNormal() * Float(knobs.itemConversionSpread) }
        // The category is a coarse, noisy view of the first trait (scaled back to unit variance).
        itemCategory = (0..<knobs.items).map { item in
            let position = sigmoid(1.7 * (Double(traits[item * dimensions]) / Double(scale) + 0.5 * Double(random.nextNormal())))
            return Int32(Swift.min(knobs.itemCategories - 1, Int(position * Double(knobs.itemCategories))))
        }
        itemPriceLevel = (0..<knobs.items).map { _ in Int32(random.next() % UInt64(Self.priceLevels)) }
        if knobs.conversionTypes > 1 {
            // A stream of its own, so the single-type world's items are untouched.
            var typeRandom = RandomGenerator(seed: seed ^ 0x7C_3D_A1_95)
            itemTypeConversion = (0..<knobs.conversionTypes * knobs.items).map { _ in
                typeRandom.nextNormal() * Float(knobs.itemConversionSpread)
            }
        } else {
            itemTypeConversion = []
        }
        conversionTypeBiases = Array(
            [knobs.conversionBias, knobs.addToCartBias, knobs.favouriteBias].prefix(knobs.conversionTypes))
        let drift = Drift(seed: seed, items: knobs.items, knobs: knobs.drift)
        self.drift = drift
        let weights = itemPopularity.map { Foundation.exp(Double($0)) }
        func cumulative(_ weights: [Double]) -> [Double] {
            var running = 0.0
            return weights.map { weight in
                running += weight
                return running
            }
        }
        exposureCumulative = cumulative(drift.exposureWeights(weights, afterShift: false))
        exposureCumulativeAfterShift = knobs.drift.hasShift ? cumulative(drift.exposureWeights(weights, afterShift: true)) : []
    }

    /// An item drawn by the exposure policy on `day` (one uniform draw whatever the day).
    func drawItem(_ random: inout RandomGenerator, day: Int) -> Int {
        let table = drift.isAfterShift(day) ? exposureCumulativeAfterShift : exposureCumulative
        let target = Double(random.nextUnitFloat()) * table[table.count - 1]
        var low = 0
        var high = table.count - 1
        while low < high {
            let middle = (low + high) / 2
            if table[middle] <= target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
