extension FunnelScenario {
    /// The funnel world's knobs. Defaults are grounded in Ali-CCP where it has a figure and must
    /// not be tuned later to favour a method; each has its rationale in ``documentation``. The
    /// drift knobs (``DriftKnobs``) are set by their own names, like the others.
    public struct Knobs: Codable, Sendable, Equatable {
        public var items = 2_000
        public var itemCategories = 50
        public var userSegments = 16
        public var latentDimensions = 8
        public var evaluationDays = 2
        public var dailyActivity = 0.6
        public var exposuresPerVisit = 10
        public var itemPopularitySpread = 0.5
        public var clickBias = -4.2
        public var affinityScale = 1.0
        public var momentaryIntentSpread = 0.5
        public var userClickSpread = 0.5
        public var conversionBias = -6.8
        public var sharedCauseWeight = 1.0
        public var userConversionSpread = 0.5
        public var itemConversionSpread = 0.5
        public var priceClickEffect = 0.15
        public var priceConversionEffect = 0.3
        public var conversionTypes = 1
        public var conversionCorrelation = 0.5
        public var addToCartBias = -5.8
        public var favouriteBias = -6.4
        /// Taste drift and an abrupt shift (all off by default), shared with the homepage world.
        public var drift = DriftKnobs()

        public init() {}

        /// Every knob, its default and why the default is plausible.
        public static let documentation: [(name: String, value: String, rationale: String)] = [
            ("items", "2000", "items in rotation; enough for items to repeat across users, few enough for item embeddings to learn at test sizes"),
            ("itemCategories", "50", "item side feature, a coarse noisy view of the first item trait (Ali-CCP field 206, category)"),
            ("userSegments", "16", "user side feature, a coarse noisy view of the first user taste (Ali-CCP field 121/122, profile group)"),
            ("latentDimensions", "8", "dimension of user tastes and item traits; their inner product is the shared affinity"),
            ("evaluationDays", "2", "the last days form the evaluation split, train on the earlier ones (Ali-CCP splits by time, entire-space.md §1)"),
            ("dailyActivity", "0.6", "share of days a user visits (per-user rate drawn around it, as in the homepage world)"),
            ("exposuresPerVisit", "10", "items shown per visit (a feed page); Ali-CCP has ≈ 210 impressions per user (84M / 0.4M)"),
            ("itemPopularitySpread", "0.5", "item bias on the click logit and on how often the policy shows the item (popular items are shown more)"),
            ("clickBias", "-4.2", "with the other defaults the mean true CTR is ≈ 4 %, Ali-CCP's 3.4M clicks in 84M impressions (ESMM Table 1)"),
            ("affinityScale", "1.0", "weight of the hidden user–item affinity in the click logit (sd ≈ 1.1 logits: CTR models reach AUCs of 0.6–0.7)"),
            ("momentaryIntentSpread", "0.5", "per-exposure part of the affinity (the user's need of the moment); no feature or id can explain it"),
            ("userClickSpread", "0.5", "users differ in how much they click, independently of how much they buy"),
            ("conversionBias", "-6.8", "with the other defaults the CVR of clicks is ≈ 1 % (Ali-CCP: 18k conversions of 3.4M clicks = 0.53 %; doubled, within 0.5–1 %, for more conversions in simulation-sized worlds); the entire-space mean is ≈ 0.3 %"),
            ("sharedCauseWeight", "1.0", "weight of the same hidden affinity in the conversion logit: what makes a user click makes them buy equally (clicked rows then have ≈ 3× the entire-space CVR: sample selection bias, ESMM §2). 0 = independent click and conversion causes"),
            ("userConversionSpread", "0.5", "users differ in how much they buy, independently of how much they click"),
            ("itemConversionSpread", "0.5", "items differ in how often a click ends in a purchase, independently of their click appeal"),
            ("priceClickEffect", "0.15", "each price level up lowers the click logit: an observed common cause of click and conversion (selection on observables, which a model given the price corrects)"),
            ("priceConversionEffect", "0.3", "each price level up lowers the conversion logit twice as much as the click logit (price weighs more on buying than on looking)"),
            ("conversionTypes", "1", "parallel conversion types after a click (EKTM's parallel pattern, multitask.md §4): 1 = the single `conversion` of ESMM's world (today's output, byte for byte); 2 = purchase and add_to_cart; 3 = purchase, add_to_cart and favourite, each with its own label and truth columns"),
            ("conversionCorrelation", "0.5", "with several types, the share ρ of the conversion-specific causes (user buying, item conversion appeal) the types have in common: each type's term is √ρ·shared + √(1−ρ)·own, so each type's marginal is the same for every ρ. 0 = own causes only (the types then share only the click's hidden affinity, weighted by sharedCauseWeight, and the price), 1 = the same causes (types differ only by their bias). No public figure: midway, to be swept"),
            ("addToCartBias", "-5.8", "conversion bias of add_to_cart: one logit above conversionBias, so the add-to-cart rate of clicks is ≈ 2.7× the purchase rate (Taobao UserBehavior, from memory: ≈ 5.5 % carts, 2.9 % favourites, 2.0 % buys among ≈ 100M behaviours, i.e. carts ≈ 2.75× buys)"),
            ("favouriteBias", "-6.4", "conversion bias of favourite: 0.4 logits above conversionBias, a favourite rate of clicks ≈ 1.5× the purchase rate (Taobao UserBehavior, from memory: favourites ≈ 1.45× buys)"),
        ] + DriftKnobs.documentation
    }
}
