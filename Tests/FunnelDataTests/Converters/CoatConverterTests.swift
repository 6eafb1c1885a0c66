import FunnelTestSupport
import Testing

@testable import FunnelData

@Suite struct CoatConverterTests {
    static let converted = ConvertedDataset.once(.coat)

    @Test(.needsSharedData) func keepsTheMissingNotAtRandomTrainAndTheRandomTest() throws {
        let converted = try Self.converted.get()
        // shared/data/coat/README.md: 6,960 MNAR train ratings (24 per user), 4,640 uniform-random
        // test ratings (16 per user), ratings 1–5, 366 cells rated in both.
        #expect(try converted.rows("train") == 6_960)
        #expect(try converted.rows("test") == 4_640)
        for (split, perUser) in [("train", 24), ("test", 16)] {
            var counts: [Int64: Int] = [:]
            for user in try converted.keys("user", in: split) { counts[user, default: 0] += 1 }
            #expect(counts.count == 290)
            #expect(Set(counts.values) == [perUser])
            let rating = try converted.column("rating", in: split)
            #expect(rating.minimum == 1 && rating.maximum == 5)
            #expect(rating.positiveRate == 1)
        }
        let cells = { (split: String) in
            Set(
                zip(try converted.keys("user", in: split), try converted.keys("item", in: split))
                    .map { "\($0)-\($1)" })
        }
        #expect(try cells("train").intersection(cells("test")).count == 366)
        // liked = rating >= 4: 1,905 of the train ratings, 860 of the test ratings.
        #expect(try converted.positives("liked", in: "train") == 1_905)
        #expect(try converted.positives("liked", in: "test") == 860)
        #expect(abs(try converted.column("rating", in: "train").mean! - 2.6115) < 5e-5)
        #expect(abs(try converted.column("rating", in: "test").mean! - 2.2289) < 5e-5)
        try converted.expectReportMatchesLoadedData()
    }

    @Test(.needsSharedData) func carriesPropensitiesAndFeatureSideTables() throws {
        let converted = try Self.converted.get()
        let schema = converted.dataset.schema
        #expect(schema.column(named: "propensity")?.role == .propensity)
        #expect(schema.column(named: "user")?.role == .user)
        #expect(schema.column(named: "item")?.role == .item)
        // README: learned propensities range 0.0025–0.69.
        for split in ["train", "test"] {
            let propensity = try converted.column("propensity", in: split)
            #expect(propensity.minimum! >= 0.0025 && propensity.maximum! <= 0.6903)
            #expect(try converted.table(split).joinCoverage == ["user": 1, "item": 1])
        }
        #expect(try converted.rows("user") == 290)
        #expect(try converted.rows("item") == 300)
        // One categorical column per one-hot group: gender 2, age 6, location 3, fashion 3;
        // gender 2, jacket type 16, colour 13, on front page 2 (+ the reserved id 0).
        let sizes = [
            "user_gender": 3, "user_age": 7, "user_location": 4, "user_fashion_interest": 4,
            "item_gender": 3,
            "item_jacket_type": 17, "item_color": 14, "item_on_front_page": 3,
        ]
        for (column, size) in sizes {
            #expect(converted.dataset.vocabulary(for: column)?.size == size, "\(column)")
        }
        #expect(converted.report.sideTables.map(\.rows) == [290, 300])
    }
}
