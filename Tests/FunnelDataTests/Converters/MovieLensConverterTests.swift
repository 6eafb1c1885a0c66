import FunnelTestSupport
import Testing

@testable import FunnelData

@Suite struct MovieLensConverterTests {
    static let converted = ConvertedDataset.once(.movieLens)

    @Test(.needsSharedData) func splitsEachUsersLastRatingsOff() throws {
        let converted = try Self.converted.get()
        // shared/data/movielens-latest-small/README.md: 100,836 ratings, 610 users, 9,724 rated
        // movies, half-star ratings 0.5–5, timestamps 1996-03-29 to 2018-09-24.
        #expect(try converted.rows("train") == 99_616)
        #expect(try converted.rows("validation") == 610)
        #expect(try converted.rows("test") == 610)
        #expect(converted.report.splits.map(\.rows).reduce(0, +) == 100_836)
        for split in ["validation", "test"] {
            #expect(Set(try converted.keys("user", in: split)).count == 610)
        }
        var movies = Set<Int64>()
        for split in ["train", "validation", "test"] {
            movies.formUnion(try converted.keys("movie", in: split))
            let rating = try converted.column("rating", in: split)
            #expect(rating.minimum! >= 0.5 && rating.maximum! <= 5)
            #expect(rating.positiveRate == 1)
        }
        #expect(movies.count == 9_724)
        #expect(Set(try converted.keys("user", in: "train")).count == 610)
        let train = try converted.column("timestamp", in: "train")
        #expect(train.minimum == 828_124_615)
        #expect(try converted.column("timestamp", in: "test").maximum == 1_537_799_250)
        try converted.expectReportMatchesLoadedData()
    }

    @Test(.needsSharedData) func testRatingsComeAfterEveryTrainRatingOfTheUser() throws {
        let converted = try Self.converted.get()
        func latest(_ split: String) throws -> [Int64: Int64] {
            let table = try converted.dataset.split(split)
            let users = try converted.keys("user", in: split)
            let times = try #require(table.column("timestamp")?.values.integers)
            var latest: [Int64: Int64] = [:]
            for row in users.indices {
                latest[users[row]] = max(latest[users[row]] ?? .min, times[row])
            }
            return latest
        }
        let (train, validation, test) = (
            try latest("train"), try latest("validation"), try latest("test")
        )
        #expect(
            train.allSatisfy { user, time in
                time <= validation[user]! && validation[user]! <= test[user]!
            })
        // Rows are in time order within each user.
        let table = try converted.dataset.split("train")
        let users = try converted.keys("user", in: "train")
        let times = try #require(table.column("timestamp")?.values.integers)
        #expect(
            users.indices.dropFirst().allSatisfy {
                users[$0 - 1] < users[$0] || times[$0 - 1] <= times[$0]
            })
    }

    @Test(.needsSharedData) func joinsTheMovieTableWithGenresAndTags() throws {
        let converted = try Self.converted.get()
        #expect(converted.dataset.schema.column(named: "movie")?.role == .item)
        #expect(converted.dataset.schema.column(named: "user")?.role == .user)
        #expect(try converted.rows("movie") == 9_742)
        for split in ["train", "validation", "test"] {
            #expect(try converted.table(split).joinCoverage == ["movie": 1])
        }
        // 19 genres plus the reserved id; 1,589 distinct tags plus the reserved id.
        #expect(converted.dataset.vocabulary(for: "genres")?.size == 20)
        #expect(converted.dataset.vocabulary(for: "tags")?.size == 1_590)
        #expect(converted.dataset.vocabulary(for: "movie")?.size == 9_743)
        let genres = try converted.column("genres", in: "movie")
        #expect(genres.maximumLength == 10 && genres.reservedIDShare == 0)
    }
}
