extension WatchTimeScenario {
    /// The watch-time world's knobs. Defaults are grounded in KuaiRand and the CWM/D2Co code
    /// where those have a figure and must not be tuned later to favour a method; each has its
    /// rationale in ``documentation``.
    public struct Knobs: Codable, Sendable, Equatable {
        public var videos = 3_000
        public var videoTags = 30
        public var userSegments = 16
        public var latentDimensions = 8
        public var evaluationDays = 2
        public var dailyActivity = 0.6
        public var viewsPerVisit = 8
        public var videoPopularitySpread = 0.5
        public var interestBias = -1.75
        public var interestScale = 1.0
        public var userInterestSpread = 0.5
        public var costInverse = 40.0
        public var watchTimeSpread = 0.3
        public var durationMedian = 81.0
        public var durationSpread = 1.0
        public var durationMinimum = 5.0
        public var durationMaximum = 400.0
        public var durationBias = true
        public var noisyWatching = true
        public var earlyExitShare = 0.15
        public var earlyExitSeconds = 5.0
        public var fullPlayShare = 0.05
        public var longViewThreshold = 18.0

        public init() {}

        /// Every knob, its default and why the default is plausible.
        public static let documentation: [(name: String, value: String, rationale: String)] = [
            ("videos", "3000", "videos in the pool; KuaiRand-Pure has 7,583 (6,598 after D2Co's duration filter), fewer here so that small worlds show each video often"),
            ("videoTags", "30", "video side feature, a coarse noisy view of the first video trait (KuaiRand's tag, CWM's tag_pop)"),
            ("userSegments", "16", "user side feature, a coarse noisy view of the first user taste"),
            ("latentDimensions", "8", "dimension of user tastes and video traits; interest rises with their inner product"),
            ("evaluationDays", "2", "the last days form the evaluation split (KuaiRand is split by date, watchtime.md §0.1)"),
            ("dailyActivity", "0.6", "share of days a user opens the app (per-user rate drawn around it; the user_activity feature quantises it)"),
            ("viewsPerVisit", "8", "videos played per visit: ≈ 4.8 views per user-day, about 3× KuaiRand-Pure's ≈ 1.5 (1.27M interactions / 27k users / 31 days under D2Co's filter) so that small worlds hold enough views"),
            ("videoPopularitySpread", "0.5", "video bias on interest and on how often the policy shows the video (popular videos are shown more)"),
            ("interestBias", "-1.75", "with the other defaults ≈ 17.5 % of views are complete plays, KuaiRand's share under D2Co's filter (watchtime.md §0.1)"),
            ("interestScale", "1.0", "weight of taste·trait in the interest logit"),
            ("userInterestSpread", "0.5", "users differ in how much they like what they are shown (heavy and light watchers)"),
            ("costInverse", "40", "CWM's cost model: counterfactual watch time = costInverse / (−ln interest) − 1 (watchtime.md §2.1), c_inv = 40 of CWM's KuaiRand script: interest 0.5 → 57 s"),
            ("watchTimeSpread", "0.3", "log-normal spread of the counterfactual watch time around the cost model (mean-preserving); 0 = watch time determined by interest"),
            ("durationMedian", "81", "median of the duration log-normal in seconds: KuaiRand-Pure's video table has median 81,241 ms (after truncation to [5, 400] s the pool's median is ≈ 75 s)"),
            ("durationSpread", "1.0", "sd of ln(duration): 1.03 in KuaiRand-Pure's video table (1.14 from its quartiles)"),
            ("durationMinimum", "5", "shortest duration in seconds (D2Co's and CWM's filter d ≥ 5 s); durations are a log-normal truncated to the range, rounded to whole seconds"),
            ("durationMaximum", "400", "longest duration in seconds (CWM's KuaiRand filter d ≤ 400 s)"),
            ("durationBias", "true", "false: every video lasts durationMaximum seconds, so the duration carries no information and truncation, the same for every video, rarely binds (switches the duration bias off)"),
            ("noisyWatching", "true", "false: every view lasts min(counterfactual, duration) (switches noisy watching off)"),
            ("earlyExitShare", "0.15", "[assumed] share of views ended within earlyExitSeconds whatever the interest (the user deciding; D2Co's noisy watching)"),
            ("earlyExitSeconds", "5", "an early exit lasts uniformly 0–5 s: D2Co's denoised labels treat w < 5 s as noise (watchtime.md §0.5)"),
            ("fullPlayShare", "0.05", "[assumed] share of views played to the end whatever the interest (autoplay, the phone put down)"),
            ("longViewThreshold", "18", "long_view = complete play of a video ≤ θ s, or more than θ s watched: D2Co's ground-truth rule with θ = 18 s (watchtime.md §0.2)"),
        ]
    }
}
