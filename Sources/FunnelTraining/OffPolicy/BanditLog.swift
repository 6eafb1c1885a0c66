import FunnelData

/// One campaign's rounds of a logged bandit split, in row order: what off-policy evaluation
/// reads from an Open Bandit dataset folder (`funnel data convert --format open-bandit`).
///
/// Round `i` is the `i`-th row of the split whose `campaign` is the chosen one. Its action is the
/// campaign's own item index (`action` column), shown at `position` (1–3) with the logged
/// position-wise probability `propensity` = π₀(action | position), and `click` is its reward
/// (Saito et al., *Open Bandit Dataset and Pipeline*, NeurIPS 2021 D&B, arXiv 2008.07146).
public struct BanditLog: Sendable, Equatable {
    /// The split the rounds come from (`random`, `bts`).
    public var split: String
    /// The campaign (`all`, `men`, `women`).
    public var campaign: String
    /// The logged action of every round: `[rounds]`, each in `0..<actionCount` of the campaign.
    public var actions: [Int]
    /// The position of every round: `[rounds]`, each in 1...3.
    public var positions: [Int]
    /// The reward (click, 0 or 1) of every round: `[rounds]`.
    public var rewards: [Double]
    /// The logging policy's probability of the logged action at its position: `[rounds]`.
    public var propensities: [Double]
    /// The split row of every round: `[rounds]` (empty for a log built by hand).
    public var rows: [Int]

    /// The number of rounds.
    public var count: Int { actions.count }

    /// The positions a slate has (Open Bandit: left, centre, right).
    public static let positionRange = 1...3

    public init(split: String, campaign: String, actions: [Int], positions: [Int], rewards: [Double], propensities: [Double], rows: [Int] = []) {
        self.split = split
        self.campaign = campaign
        self.actions = actions
        self.positions = positions
        self.rewards = rewards
        self.propensities = propensities
        self.rows = rows
    }

    /// The rounds of `campaign` in `split`.
    /// - Throws: ``DataError/missingRequirement(dataset:column:reason:)`` for a missing split or
    ///   column, or a campaign the split never shows.
    public static func load(dataset: Dataset, split: String, campaign: String) throws -> BanditLog {
        let table = try dataset.split(split)
        func ids(_ name: String) throws -> ColumnBuffer<Int32> {
            guard let values = table.column(name)?.values.ids else {
                throw DataError.missingRequirement(
                    dataset: dataset.schema.name, column: name,
                    reason: "off-policy evaluation needs a categorical '\(name)' column (an Open Bandit dataset)")
            }
            return values
        }
        func floats(_ name: String) throws -> ColumnBuffer<Float> {
            guard let values = table.column(name)?.values.floats else {
                throw DataError.missingRequirement(
                    dataset: dataset.schema.name, column: name,
                    reason: "off-policy evaluation needs a dense or label '\(name)' column (an Open Bandit dataset)")
            }
            return values
        }
        let campaigns = try ids("campaign"), actionIDs = try ids("action"), positionIDs = try ids("position")
        let clicks = try floats("click"), logged = try floats("propensity")
        guard let campaignID = dataset.vocabulary(for: "campaign")?.id(forToken: campaign), campaignID != 0,
            (0..<table.rowCount).contains(where: { campaigns[$0] == campaignID })
        else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: "campaign",
                reason: "split '\(split)' has no rows of campaign '\(campaign)'")
        }
        var log = BanditLog(split: split, campaign: campaign, actions: [], positions: [], rewards: [], propensities: [])
        for row in 0..<table.rowCount where campaigns[row] == campaignID {
            log.actions.append(Int(actionIDs[row]))
            log.positions.append(Int(positionIDs[row]))
            log.rewards.append(Double(clicks[row]))
            log.propensities.append(Double(logged[row]))
            log.rows.append(row)
        }
        return log
    }

    /// The number of actions of the campaign as the logs show it: one more than the largest
    /// action any of them logged (the uniform log of Open Bandit shows every item).
    public static func actionCount(_ logs: [BanditLog]) -> Int {
        (logs.flatMap(\.actions).max() ?? -1) + 1
    }

    /// The mean of `values` over the given rounds (repeats allowed).
    static func mean(_ values: [Double], rounds: [Int]) -> Double {
        rounds.reduce(0) { $0 + values[$1] } / Double(rounds.count)
    }
}
