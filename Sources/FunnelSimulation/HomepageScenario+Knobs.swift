extension HomepageScenario {
    /// The homepage world's knobs. Defaults follow USD's description of its users (issue 15) and
    /// must not be tuned to favour a method; each has its rationale in ``documentation``. The
    /// first worlds (before issue 15) are ``HomepageScenario/firstWorlds``. The drift knobs
    /// (``DriftKnobs``) are set by their own names, like the others.
    public struct Knobs: Codable, Sendable, Equatable {
        public var items = 2_000
        public var itemCategories = 50
        public var userSegments = 16
        public var latentDimensions = 4
        public var evaluationDays = 2
        public var historyDays = 30
        public var clickHistoryLength = 50
        public var interestBias = -3.0
        public var interestScale = 1.0
        public var itemPopularitySpread = 0.5
        public var dailyActivity = 0.6
        public var goalDrivenShare = 0.4
        public var goalDrivenAttention = 0.2
        public var browsingAttention = 0.9
        public var attentionBias = true
        public var portalHabitMean = -1.5
        public var portalHabitSpread = 1.2
        public var dailyIntentNoise = 0.5
        public var blockEntryShare = 0.5
        public var portalDrivenClicks = true
        public var otherEntryProbability = 0.8
        public var personalisedPolicy = true
        public var policyTasteNoise = 1.0
        public var policyTemperature = 1.0
        public var policyExploration = 0.1
        public var intentDrivenAttention = true
        public var intentAttention = 0.9
        public var casualBrowsingAttention = 0.3
        public var displayedPortalChoice = true
        public var subsidyShare = 0.3
        public var subsidyPull = 1.5
        public var firstSlotPull = 0.7
        public var blockItems = 4
        public var informativeCategories = true
        public var profileDimensions = 4
        public var oracleLabels = true
        /// Taste drift and an abrupt shift (all off by default), shared with the funnel world.
        public var drift = DriftKnobs()

        public init() {}

        /// Every knob, its default and why the default is plausible.
        public static let documentation: [(name: String, value: String, rationale: String)] = [
            ("items", "2000", "marketing-block items in rotation; enough for items to repeat across users (GAUC needs both classes per user)"),
            ("itemCategories", "50", "item side feature; coarse categories as in Ali-CCP's field 206"),
            ("userSegments", "16", "profile feature: a quantised view of the user's tastes, so profile features carry some but not all signal"),
            ("latentDimensions", "4", "dimension of user tastes and item traits; interest = their inner product. 4 (the first worlds: 8): BASE trained on labels drawn from the truth then gets 91.2 % of the way from 0.5 to the truth's own AUC at 40,000 users × 28 days (5 seeds); with 8 it got 78 % at 80,000 × 14 and 89.7 % at 80,000 × 28 (issue 15)"),
            ("evaluationDays", "2", "the last days form the evaluation split, train on the earlier ones (split by date, as USD §3.1)"),
            ("historyDays", "30", "the past-month daily sequence T = 30 (entire-space.md §10.1 [A]: daily, T = 30); simulated as a warm-up month before day 0"),
            ("clickHistoryLength", "50", "long behaviour sequence kept per user-day for the ETA-like BASE (the most recent clicked items)"),
            ("interestBias", "-3.0", "σ(−3) ≈ 4.7 %: an interest-driven click rate of a looked-at item close to Ali-CCP's ≈ 4 % CTR (ESMM Table 1: 3.4M clicks in 84M impressions)"),
            ("interestScale", "1.0", "spread of interest across user–item pairs; with it BASE-like models reach AUCs of 0.6–0.7, the range of USD Table 1"),
            ("itemPopularitySpread", "0.5", "item bias on interest and on how often the policy shows the item (popular items are shown more)"),
            ("dailyActivity", "0.6", "share of days a user opens the homepage (daily active users of a large app)"),
            ("goalDrivenShare", "0.4", "share of visits that are goal-driven (a search): USD §1 names goal-driven interactions as the cause of neglected exposures"),
            ("goalDrivenAttention", "0.2", "probability of looking at the block during a goal-driven visit"),
            ("browsingAttention", "0.9", "probability of looking at the block while browsing"),
            ("attentionBias", "true", "false: every exposed block is looked at (switches the pseudo-negative bias off)"),
            ("portalHabitMean", "-1.5", "logit of a user's daily intent to visit the portal: σ(−1.5) ≈ 18 % of days for the median user"),
            ("portalHabitSpread", "1.2", "habits differ strongly between users (USD: habitual block clickers vs. occasional ones)"),
            ("dailyIntentNoise", "0.5", "day-to-day variation of the intent around the habit (USD §2.2: same-day behaviour is more telling than cross-day)"),
            ("blockEntryShare", "0.5", "mean share of portal intents entered through the block (the block is one of three entry points, USD Fig. 1a)"),
            ("portalDrivenClicks", "true", "false: no clicks made only to reach the portal (switches the pseudo-positive bias off)"),
            ("otherEntryProbability", "0.8", "an intent not served by the block reaches the portal through icons or notifications (USD §2.2)"),
            ("personalisedPolicy", "true", "true: the block shows items drawn from a ranker's softmax over a noisy, stale estimate of the user's taste, with exploration, so exposure carries item-level selection bias and its propensity is recorded (exposure_propensity); false: by popularity alone, the same for every user (the first worlds)"),
            ("policyTasteNoise", "1.0", "the ranker's estimate is the taste of the first warm-up day plus this much noise per dimension (tastes have unit variance: the estimate correlates ≈ 0.7 with the taste, and never follows drift)"),
            ("policyTemperature", "1.0", "the ranker's softmax temperature over interest-scaled scores: exposure follows the estimated interest as closely as the click logit does"),
            ("policyExploration", "0.1", "share of draws spread uniformly over the items (a production ranker's exploration traffic), so every item keeps a propensity of at least 0.1 / items"),
            ("intentDrivenAttention", "true", "true: whether a user looks at the block depends on the day's portal intent — USD §1: users heading for the portal use the block as its entry and see it, users with other goals mostly do not — so portal-only non-clicks were mostly seen; false: attention depends on the visit type only (the first worlds)"),
            ("intentAttention", "0.9", "with intentDrivenAttention: probability that a user who intends to visit the portal that day looks at the block (one of the portal's three entry points, on the user's way)"),
            ("casualBrowsingAttention", "0.3", "with intentDrivenAttention: probability that a browsing visit without portal intent looks at the block (goal-driven visits keep goalDrivenAttention): most of their non-clicks are unseen"),
            ("displayedPortalChoice", "true", "true: a click made only to reach the portal lands on a block item by what the block displays — a subsidy badge and the first slot — so pseudo-positives are item-level bias a click-trained model learns (item side column item_subsidy); false: on a uniformly random slot (the first worlds)"),
            ("subsidyShare", "0.3", "share of items shown with a subsidy badge, drawn independently of their traits (the badge says nothing of interest)"),
            ("subsidyPull", "1.5", "with displayedPortalChoice: logit added to a badged item's chance of being the portal click's target (a user only passing through picks the most salient item)"),
            ("firstSlotPull", "0.7", "with displayedPortalChoice: logit added to the first slot's chance of being the portal click's target"),
            ("blockItems", "4", "items per block view (USD Fig. 1a shows two items of a longer strip; 4 give each user about 34 exposures in 14 days, 2 in the first worlds)"),
            ("informativeCategories", "true", "true: an item's category is the nearest of itemCategories random directions in trait space, so the category tells part of the item's traits (a shop's taxonomy follows what its items are); false: drawn at random (the first worlds)"),
            ("profileDimensions", "4", "taste dimensions the profile reveals, each as a coarse, noisy segment (user_segment, then user_segment_1, …; each correlates ≈ 0.85 with its dimension): all 4 by default (a shop knows its users' tastes in part), 1 in the first worlds"),
            ("oracleLabels", "true", "true: a label column interest_click drawn from interest_probability (a stream of its own) beside the click, so a model can be trained on what the truth would have labelled — the yardstick of how learnable the world is; the click and every other column are unchanged"),
        ] + DriftKnobs.documentation
    }
}
