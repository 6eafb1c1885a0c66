import FunnelData
import FunnelNN

/// The `rar` option of a CTR model: Recall-Augmented Ranking (Huang et al., "Recall-Augmented
/// Ranking: Enhancing Click-Through Rate Prediction Accuracy with Cross-Stage Data", WWW 2024,
/// arXiv 2404.09578; adaptation.md §1). `nil` in a model's configuration is the model without
/// RAR, bit for bit.
///
/// Every [ASSUMED] choice of the spec is a field here, its default the spec's.
public struct RARConfiguration: Codable, Sendable, Equatable {
    /// The user, item and day columns of the splits (the day orders the click log).
    public var user = "user"
    public var item = "item"
    public var day = "day"
    /// The split whose click rows (`label` = 1) feed the item-CF retriever, the users' recent
    /// clicks and the look-alike pool: only its rows of days strictly before a row's day are
    /// read for that row (§1.5).
    public var clickSplit = "train"
    /// The label whose value 1 is a click (`nil`: the host model's label).
    public var clickLabel: String?
    /// The user fields pooled into a user representation (`nil`: the user id and every
    /// categorical column of the side tables keyed by the user alone).
    public var userFields: [String]?
    /// `d`, the width of RAR's own user-field and item embeddings.
    public var embeddingDimensions = 16
    /// M, the length of each row's recall list (§1.1: 100).
    public var recallCount = 100
    /// The user's most recent clicks (before the day) that query the retriever (item-CF or two-tower).
    public var recallQueryClicks = 20
    /// The retriever simulating the recall stage (§1.1: item-CF or two-tower).
    public var retriever = Retriever.itemCF
    /// The two-tower retriever ([ASSUMED], ``TwoTowerRecall``): `d` of its user and item towers,
    /// the SGD passes over each day's clicks, the negatives drawn uniformly per click, the SGD
    /// step, and the seed of its weights and draws (independent of the model's seed).
    public var twoTowerDimensions = 16
    public var twoTowerEpochs = 3
    public var twoTowerNegatives = 4
    public var twoTowerLearningRate: Float = 0.05
    public var twoTowerSeed = 2_220_417
    /// How many training users form the look-alike pool U, sampled with `poolSeed`.
    public var poolSize = 1000
    public var poolSeed = 7_496_050
    /// The last behaviours (clicks before the day) averaged into a user representation (§1.1:
    /// 10; 0: the user fields alone).
    public var behaviourCount = 10
    /// H, the SimHash hyperplanes, and the groups they are split into (§1.2.1: 64, 1).
    public var hashBits = 64
    public var hashGroups = 1
    /// k_u look-alike users and k_r recall items kept per row (§1.2.1: 20, 20).
    public var lookAlikeCount = 20
    public var recallKept = 20
    /// β, the weight of the recall-item supervision L_rec (§1.3: 0.1).
    public var recallLossWeight: Float = 0.1
    /// The seed of RAR's own weights and hyperplanes, mixed with the model's seed.
    public var seed = 5_390_674

    /// The cheap retriever that simulates the recall stage.
    public enum Retriever: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// Item-to-item co-occurrence over the users' click histories.
        case itemCF
        /// User-id + recent-click tower against an item-id tower, trained on the clicks before the day.
        case twoTower
    }

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case user, item, day, clickSplit, clickLabel, userFields, embeddingDimensions, recallCount, recallQueryClicks
        case retriever, twoTowerDimensions, twoTowerEpochs, twoTowerNegatives, twoTowerLearningRate, twoTowerSeed
        case poolSize, poolSeed, behaviourCount, hashBits, hashGroups, lookAlikeCount, recallKept
        case recallLossWeight, seed
    }

    /// Fields the JSON leaves out keep their defaults, so `"rar": {}` turns RAR on as the spec has it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func read<Value: Decodable>(_ field: inout Value, _ key: CodingKeys) throws {
            if let value = try container.decodeIfPresent(Value.self, forKey: key) { field = value }
        }
        self.init()
        try read(&user, .user)
        try read(&item, .item)
        try read(&day, .day)
        try read(&clickSplit, .clickSplit)
        clickLabel = try container.decodeIfPresent(String.self, forKey: .clickLabel)
        userFields = try container.decodeIfPresent([String].self, forKey: .userFields)
        try read(&embeddingDimensions, .embeddingDimensions)
        try read(&recallCount, .recallCount)
        try read(&recallQueryClicks, .recallQueryClicks)
        try read(&retriever, .retriever)
        try read(&twoTowerDimensions, .twoTowerDimensions)
        try read(&twoTowerEpochs, .twoTowerEpochs)
        try read(&twoTowerNegatives, .twoTowerNegatives)
        try read(&twoTowerLearningRate, .twoTowerLearningRate)
        try read(&twoTowerSeed, .twoTowerSeed)
        try read(&poolSize, .poolSize)
        try read(&poolSeed, .poolSeed)
        try read(&behaviourCount, .behaviourCount)
        try read(&hashBits, .hashBits)
        try read(&hashGroups, .hashGroups)
        try read(&lookAlikeCount, .lookAlikeCount)
        try read(&recallKept, .recallKept)
        try read(&recallLossWeight, .recallLossWeight)
        try read(&seed, .seed)
    }

    /// The checks under `check`'s path (a host passes `check.nested("rar")`).
    public func validate(_ check: ModelConfigurationCheck) throws {
        try check.name(user, "user")
        try check.name(item, "item")
        try check.name(day, "day")
        try check.name(clickSplit, "clickSplit")
        try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
        try check.positive(recallCount, "recallCount", what: "a number of recall items")
        try check.positive(recallQueryClicks, "recallQueryClicks", what: "a number of clicks")
        try check.positive(twoTowerDimensions, "twoTowerDimensions", what: "a number of tower dimensions")
        try check.positive(twoTowerEpochs, "twoTowerEpochs", what: "a number of epochs")
        try check.positive(twoTowerNegatives, "twoTowerNegatives", what: "a number of negatives")
        try check.positive(twoTowerLearningRate, "twoTowerLearningRate")
        try check.positive(poolSize, "poolSize", what: "a number of pool users")
        try check.positive(hashBits, "hashBits", maximum: 1024, what: "a number of hash bits")
        try check.positive(hashGroups, "hashGroups", maximum: hashBits, what: "a number of hash groups")
        try check.positive(lookAlikeCount, "lookAlikeCount", maximum: poolSize, what: "a number of look-alike users (at most poolSize)")
        try check.positive(recallKept, "recallKept", maximum: recallCount, what: "a number of kept recall items (at most recallCount)")
        try check.nonNegative(recallLossWeight, "recallLossWeight")
        guard behaviourCount >= 0 else { throw check.refusal("behaviourCount", "expected a non-negative number of behaviours") }
        guard hashBits % hashGroups == 0, embeddingDimensions % hashGroups == 0 else {
            throw check.refusal("hashGroups", "must divide hashBits (\(hashBits)) and embeddingDimensions (\(embeddingDimensions))")
        }
    }

    /// The width of `u_aug = [u_L; u_R]`, what RAR adds to the host's MLP input.
    public var augmentationWidth: Int { 2 * embeddingDimensions }
}
