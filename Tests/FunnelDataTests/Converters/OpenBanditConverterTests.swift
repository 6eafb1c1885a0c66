import FunnelTestSupport
import Testing

@testable import FunnelData

@Suite struct OpenBanditConverterTests {
    static let converted = ConvertedDataset.once(.openBandit)

    /// shared/data/open-bandit-dataset/README.md, per policy and campaign: 10,000 rows, clicks,
    /// items, propensity range.
    static let readme:
        [String: [(campaign: String, clicks: Int, items: Int, propensity: ClosedRange<Double>)]] = [
            "random": [
                ("all", 38, 80, 0.0125...0.0125), ("men", 46, 34, 1 / 34...1 / 34),
                ("women", 46, 46, 1 / 46...1 / 46),
            ],
            "bts": [
                ("all", 42, 80, 4.5e-05...0.95424), ("men", 69, 34, 1.65e-04...0.72529),
                ("women", 46, 46, 1e-06...0.9628),
            ],
        ]

    @Test(.needsSharedData) func keepsBothPoliciesAndEveryCampaignsCounts() throws {
        let converted = try Self.converted.get()
        for (policy, campaigns) in Self.readme {
            #expect(try converted.rows(policy) == 30_000)
            #expect(
                try converted.positives("click", in: policy) == campaigns.map(\.clicks).reduce(0, +)
            )
            let table = try converted.dataset.split(policy)
            let clicks = try #require(table.column("click")?.values.floats)
            let propensities = try #require(table.column("propensity")?.values.floats)
            let campaignIDs = try #require(table.column("campaign")?.values.ids)
            let actions = try #require(table.column("action")?.values.ids)
            // Campaigns are written in turn, 10,000 rows each.
            for (block, expected) in campaigns.enumerated() {
                let rows = block * 10_000..<(block + 1) * 10_000
                #expect(Set(rows.map { campaignIDs[$0] }).count == 1)
                #expect(
                    rows.filter { clicks[$0] > 0 }.count == expected.clicks,
                    "\(policy)/\(expected.campaign)")
                #expect(rows.map { Int(actions[$0]) }.max() == expected.items - 1)
                let logged = rows.map { Double(propensities[$0]) }
                #expect(
                    abs(logged.min()! - expected.propensity.lowerBound) < 1e-6
                        * max(1, expected.propensity.lowerBound * 1e3))
                #expect(abs(logged.max()! - expected.propensity.upperBound) < 1e-6)
            }
        }
        #expect(
            abs(try converted.column("click", in: "random").positiveRate! - 130.0 / 30_000) < 1e-12)
        try converted.expectReportMatchesLoadedData()
    }

    @Test(.needsSharedData) func describesPropensityPositionItemsAndAffinities() throws {
        let converted = try Self.converted.get()
        let schema = converted.dataset.schema
        #expect(schema.column(named: "propensity")?.role == .propensity)
        #expect(schema.column(named: "item")?.role == .item)
        #expect(schema.vocabularySplit == "random")
        // 80 + 34 + 46 campaign items, every row finds its item.
        #expect(try converted.rows("item") == 160)
        #expect(converted.dataset.vocabulary(for: "item")?.size == 161)
        for policy in ["random", "bts"] {
            #expect(try converted.table(policy).joinCoverage == ["item": 1])
            let position = try converted.column("position", in: policy)
            // Positions use an identity vocabulary: no id is reserved, so no out-of-vocabulary share.
            #expect(position.distinctIDs == 3 && position.reservedIDShare == nil)
        }
        #expect(try converted.column("affinity_items", in: "random").maximumLength == 16)
        #expect(try converted.column("affinity_items", in: "bts").maximumLength == 7)
        // Affinity counts summed over the 3 campaigns (1,740 in random, 1,572 in bts).
        let random = try converted.column("affinity_items", in: "random")
        #expect(Int((random.meanLength! * 30_000).rounded()) == 1_740)
        let bts = try converted.column("affinity_items", in: "bts")
        #expect(Int((bts.meanLength! * 30_000).rounded()) == 1_572)
        // 2019-11-24 00:00:34.762830 UTC to 2019-11-30 23:59:47.022892 UTC (random/all).
        let time = try converted.column("timestamp", in: "random")
        #expect(time.minimum == 1_574_553_634 && time.maximum == 1_575_158_387)
        // Vocabularies are built from random: two bts rows hold a user_feature_3 value random
        // never shows, and the load reports them.
        let outOfVocabulary = converted.dataset.reports.map(\.outOfVocabulary).filter {
            !$0.isEmpty
        }
        #expect(outOfVocabulary == [["user_feature_3": 2]])
    }
}
