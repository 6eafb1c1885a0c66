extension SequentialWorld {
    /// The sequential world's knobs. Defaults describe users as SASRec, RoTE and CAPE describe
    /// them (sequential.md §1–§3) and must not be tuned later to favour a method; each has its
    /// rationale in ``documentation``. `timeDecay`, `reconsumption` and `farSimilar` switch one
    /// mechanism each.
    public struct Knobs: Codable, Sendable, Equatable {
        // Catalogue.
        public var items = 1_000
        public var categories = 20
        public var latentDimensions = 8
        public var itemSpread = 0.5
        public var popularityExponent = 0.8
        // Sequences and their timestamps.
        public var minimumLength = 20
        public var maximumLength = 100
        public var sessionLength = 6.0
        public var sessionGapMinutes = 5.0
        public var breakMinimumHours = 1.0
        public var breakMaximumDays = 21.0
        // Long-term taste and short-term interest.
        public var favouriteCategories = 2
        public var tasteScale = 3.0
        public var shortTermScale = 4.0
        public var timeDecay = true
        public var decayHours = 24.0
        public var decaySteps = 5.0
        // Re-consumption at a habitual interval.
        public var reconsumption = true
        public var reconsumptionShare = 0.3
        public var habitDays = 7.0
        public var habitSpread = 0.3
        public var habitWidthDays = 1.0
        // Returning to far-back interests.
        public var farSimilar = true
        public var farShare = 0.2
        public var farBackSteps = 10
        public var contentNoise = 0.5

        public init() {}

        /// The default knobs overridden by `name=value` pairs (`timeDecay=false`); an unknown
        /// name or an unreadable value is refused with the knob's name.
        public init(overrides: [String: String]) throws {
            self = try KnobParser.apply(overrides, to: Knobs())
        }

        /// Every knob, its default and why the default is plausible.
        public static let documentation: [(name: String, value: String, rationale: String)] = [
            ("items", "1000", "items in the catalogue, ids 1...items (0 = padding, as SASRec's code maps them)"),
            ("categories", "20", "item categories of equal size; an item's latent vector is its category's centre plus noise"),
            ("latentDimensions", "8", "dimension of item vectors, user tastes and short-term interests"),
            ("itemSpread", "0.5", "[assumed] norm of the noise added to an item's unit category centre before normalising: cosine ≈ 0.8 within a category, ≈ 0 across"),
            ("popularityExponent", "0.8", "[assumed] Zipf-like popularity: an item of popularity rank r gets logit −0.8·ln r"),
            ("minimumLength", "20", "shortest sequence; every user has ≥ 3 events, so leave-one-out evaluates every user (sequential.md §0.1)"),
            ("maximumLength", "100", "longest sequence (CAPE's max_sequence_length, sequential.md §3.2); lengths are uniform in between"),
            ("sessionLength", "6", "[assumed] mean events per session: each step opens a new session with probability 1/6"),
            ("sessionGapMinutes", "5", "[assumed] mean gap between events of one session (exponential): bursts minutes apart"),
            ("breakMinimumHours", "1", "shortest break between sessions; breaks are log-uniform from hours to weeks, so order and elapsed time disagree (RoTE's premise)"),
            ("breakMaximumDays", "21", "longest break between sessions, in days"),
            ("favouriteCategories", "2", "categories whose centres make up a user's stable long-term taste (plus noise)"),
            ("tasteScale", "3", "[assumed] weight of the cosine of the unit long-term taste and the item in the logit"),
            ("shortTermScale", "4", "[assumed] weight of the short-term interest·item logit; the interest is the decayed mean of past unit item vectors (norm ≤ 1)"),
            ("timeDecay", "true", "true: the pull of a past event decays as exp(−elapsed/decayHours) with the time elapsed up to the predicted step (RoTE: time spans, not order); false: as exp(−steps back/decaySteps), so that (with reconsumption off too) time carries nothing beyond order"),
            ("decayHours", "24", "[assumed] short-term decay time in hours: a session's interest lasts about a day"),
            ("decaySteps", "5", "decay in steps when timeDecay is false (about a session's length)"),
            ("reconsumption", "true", "false: no re-consumption component (the habitual-interval effect is gone)"),
            ("reconsumptionShare", "0.3", "[assumed] at most this share of the next-item mass goes to re-consuming an item last consumed ≈ one habit ago"),
            ("habitDays", "7", "[assumed] median of the users' habitual re-consumption intervals (weekly routines)"),
            ("habitSpread", "0.3", "sd of ln(habit) across users: each user has a personal interval"),
            ("habitWidthDays", "1", "Gaussian width of the re-consumption bump around the habit"),
            ("farSimilar", "true", "false: no returning-interest component (CAPE's premise: items similar to the target stay close however far back they are)"),
            ("farShare", "0.2", "[assumed] share of the next-item mass that returns to a category seen at least farBackSteps events back"),
            ("farBackSteps", "10", "how many events back an interest must lie to count as far back (beyond the current session)"),
            ("contentNoise", "0.5", "[assumed] norm of the noise on the item content vectors written beside the dataset (item-vectors.csv: the unit latent vector plus noise, what a metadata/text encoder sees of an item; semantic IDs are built from it); it never enters the users' choices"),
        ]
    }
}
