import Foundation
import FunnelTensor

/// A sequential-recommendation world that records the true next-item distribution, built to
/// judge SASRec (order-only learned positions; Kang & McAuley, ICDM 2018, arXiv 1808.09781),
/// RoTE (rotary *time* embeddings; Zhang et al., SIGIR 2026, arXiv 2604.13389) and CAPE
/// (contextual positions; Yuan et al., WWW 2025 Companion, arXiv 2502.09027) — sequential.md.
///
/// Each user has a sequence of `minimumLength...maximumLength` events at irregular times:
/// sessions of events minutes apart separated by breaks of hours to weeks, so the order of
/// events and the time between them disagree (RoTE's premise). The time of a step is drawn
/// first, from this gap process alone; then its item is drawn from the mixture
///
///     P(i) = (1 − ρ_re − ρ_far)·softmax_i(pop_i + taste·v_i + shortTerm·v_i)
///          + ρ_re·P_re(i) + ρ_far·P_far(i)
///
/// - long-term taste: a stable user vector near the centres of a few favourite categories;
/// - short-term interest: the mean of past item vectors, each weighted by
///   `exp(−(t − t_j)/decayHours)` with the elapsed time up to the predicted step `t`, divided by
///   `max(1, Σ weights)` so that it fades after a break (`timeDecay = false`: weighted by
///   `exp(−steps back/decaySteps)` instead);
/// - re-consumption: a past item last consumed Δ ago is re-consumed with weight
///   `exp(−½((Δ − habit)/habitWidth)²)` around the user's habitual interval, and
///   `ρ_re = reconsumptionShare · max weight`;
/// - returning interests (CAPE's premise): with `ρ_far = farShare` the user returns to a
///   category seen at least `farBackSteps` events back (in proportion to how often), choosing
///   within it by taste and popularity, however far back it lies.
///
/// The distribution is a function of the history's items and times and of the predicted step's
/// time; ``truth(user:step:)`` recomputes it for any step and ``validationTruth`` /
/// ``testTruth`` hold it at the leave-one-out targets (sequential.md §0.1).
public struct SequentialWorld: Sendable {
    /// One interaction.
    public struct Event: Sendable, Equatable {
        /// The item id, in 1...items.
        public var item: Int32
        /// Unix seconds.
        public var time: Int64

        public init(item: Int32, time: Int64) {
            self.item = item
            self.time = time
        }
    }

    /// What the world knows of a user beyond the events.
    public struct UserProfile: Sendable, Equatable {
        /// The categories the long-term taste is centred on.
        public var favouriteCategories: [Int]
        /// `[latentDimensions]`: the stable long-term taste.
        public var taste: [Float]
        /// The habitual re-consumption interval in seconds.
        public var habitSeconds: Double
    }

    /// 2020-01-01T00:00:00Z: the first events fall in the year after it.
    public static let epoch: Int64 = 1_577_836_800

    public var knobs: Knobs
    public var catalogue: SequentialCatalogue
    public var profiles: [UserProfile]
    /// Per user, the time-ordered events.
    public var users: [[Event]]
    /// Per user, the true next-item distribution at the second-to-last step (the validation
    /// target): `[items + 1]`, index 0 (no item) = 0, summing to 1.
    public var validationTruth: [[Float]]
    /// Per user, the true next-item distribution at the last step (the test target).
    public var testTruth: [[Float]]

    /// Simulates `users` users; the same seed and knobs give the same events and truths.
    public static func simulate(users: Int, seed: UInt64, knobs: Knobs) throws -> SequentialWorld {
        try validate(users: users, knobs: knobs)
        let catalogue = SequentialCatalogue(knobs: knobs, seed: seed)
        // Users are independent given the catalogue.
        let logs = simulateInChunks(users: users, empty: SequentialLog()) { user, log in
            SequentialUserModel.simulate(
                user: user, seed: seed, catalogue: catalogue, knobs: knobs, into: &log)
        }
        var world = SequentialWorld(
            knobs: knobs, catalogue: catalogue, profiles: [], users: [], validationTruth: [],
            testTruth: [])
        for log in logs {
            world.profiles += log.profiles
            world.users += log.events
            world.validationTruth += log.validationTruth
            world.testTruth += log.testTruth
        }
        return world
    }

    /// Simulates with the default knobs overridden by `name=value` pairs (`timeDecay=false`).
    public static func simulate(users: Int, seed: UInt64, knobs: [String: String]) throws
        -> SequentialWorld
    {
        try simulate(users: users, seed: seed, knobs: Knobs(overrides: knobs))
    }

    /// The distribution the event at `step` of `user` was drawn from: `[items + 1]`, index 0 = 0.
    public func truth(user: Int, step: Int) -> [Float] {
        let events = users[user]
        return nextItemDistribution(user: user, history: events[..<step], time: events[step].time)
    }

    /// The true next-item distribution of `user` after `history` (time-ordered, any items and
    /// times) at `time`, with the user's taste and habit: `[items + 1]`, index 0 = 0.
    public func nextItemDistribution(user: Int, history: ArraySlice<Event>, time: Int64) -> [Float]
    {
        let model = SequentialUserModel(profile: profiles[user], catalogue: catalogue, knobs: knobs)
        return model.distribution(history: history, time: time)
    }

    private static func validate(users: Int, knobs: Knobs) throws {
        func refuse(_ reason: String) -> KnobParser.KnobError {
            KnobParser.KnobError(description: "sequential: \(reason)")
        }
        guard users > 0 else { throw refuse("needs users > 0") }
        guard knobs.items >= 2, knobs.categories > 0, knobs.categories <= knobs.items,
            knobs.latentDimensions > 0
        else {
            throw refuse("needs items ≥ 2, 0 < categories ≤ items and latentDimensions > 0")
        }
        guard knobs.minimumLength >= 3, knobs.maximumLength >= knobs.minimumLength else {
            throw refuse(
                "needs 3 ≤ minimumLength ≤ maximumLength (leave-one-out keeps a training event)")
        }
        guard knobs.sessionLength >= 1, knobs.sessionGapMinutes > 0, knobs.breakMinimumHours > 0,
            knobs.breakMaximumDays * 24 >= knobs.breakMinimumHours
        else {
            throw refuse(
                "needs sessionLength ≥ 1, sessionGapMinutes > 0, 0 < breakMinimumHours ≤ breakMaximumDays·24"
            )
        }
        guard knobs.favouriteCategories > 0, knobs.decayHours > 0, knobs.decaySteps > 0,
            knobs.habitDays > 0,
            knobs.habitWidthDays > 0, knobs.farBackSteps > 0
        else {
            throw refuse(
                "favouriteCategories, decayHours, decaySteps, habitDays, habitWidthDays and farBackSteps must be positive"
            )
        }
        guard
            [
                knobs.itemSpread, knobs.popularityExponent, knobs.tasteScale, knobs.shortTermScale,
                knobs.habitSpread,
            ]
            .allSatisfy({ $0 >= 0 })
        else { throw refuse("spreads, popularityExponent and scales must be 0 or more") }
        guard knobs.reconsumptionShare >= 0, knobs.farShare >= 0,
            knobs.reconsumptionShare + knobs.farShare <= 1
        else {
            throw refuse("reconsumptionShare and farShare must be 0 or more and sum to at most 1")
        }
    }
}

/// The users one chunk simulated, in user order.
struct SequentialLog {
    var profiles: [SequentialWorld.UserProfile] = []
    var events: [[SequentialWorld.Event]] = []
    var validationTruth: [[Float]] = []
    var testTruth: [[Float]] = []
}
