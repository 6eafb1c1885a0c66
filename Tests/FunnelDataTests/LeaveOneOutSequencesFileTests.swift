import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelData

/// Interaction files refused with their location, ranking truth written and read back, and the
/// MovieLens ratings split as `funnel data sequences` splits them.
@Suite struct LeaveOneOutSequencesFileTests {
    private func expectRefusal(
        _ contents: String, time: String = "timestamp", _ expected: (String) -> String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("log.csv", contents)
        do {
            _ = try LeaveOneOutSequences.readInteractions(path: path, timeColumn: time)
            Issue.record("expected a refusal", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)" == expected(path), sourceLocation: sourceLocation)
        }
    }

    @Test func badTimestampsAreLocated() throws {
        try expectRefusal("user,item,timestamp\n1,10,100\n2,11,1e5\n") {
            "\($0):3:3 (column 'timestamp'): found '1e5', expected a non-negative integer time (seconds)"
        }
        try expectRefusal("user,item,timestamp\n1,10,-100\n") {
            "\($0):2:3 (column 'timestamp'): found '-100', expected a non-negative integer time (seconds)"
        }
    }

    @Test func emptyKeysAreLocated() throws {
        try expectRefusal("user,item,timestamp\n1,10,100\n\n,11,200\n") {
            "\($0):4:1 (column 'user'): found '', expected a user key (the field is empty)"
        }
        try expectRefusal("user,item,timestamp\n1, ,100\n") {
            "\($0):2:2 (column 'item'): found '', expected an item key (the field is empty)"
        }
    }

    @Test func aMissingColumnNamesTheHeader() throws {
        try expectRefusal("user,item,timestamp\n1,10,100\n", time: "time") {
            "\($0):1: found 'user,item,timestamp', expected a column named 'time' (--time); "
                + "the header's columns are: 'user', 'item', 'timestamp'"
        }
    }

    @Test func aFileWithoutRowsIsRefused() throws {
        try expectRefusal("user,item,timestamp\n") {
            "\($0):2: found '', expected an interaction row after the header (the file has none)"
        }
    }

    @Test func tabSeparatedFilesAndUnsortedUsersAreRead() throws {
        let scratch = try ScratchFolder()
        let path = try scratch.write("log.tsv", "user\titem\ttimestamp\n9\t1\t5\n2\t1\t3\n9\t2\t4\n")
        let log = try LeaveOneOutSequences.readInteractions(path: path)
        #expect(log == [.init(user: 9, item: 1, time: 5), .init(user: 2, item: 1, time: 3), .init(user: 9, item: 2, time: 4)])
    }

    @Test func rankingTruthRoundTripsAndAWrongSizeIsRefused() throws {
        let scratch = try ScratchFolder()
        let output = scratch.path + "/truth"
        let sequences = try LeaveOneOutSequences(interactions: LeaveOneOutSequencesTests.log)
        let width = sequences.itemCount + 1
        let rows = sequences.rows(.test).count
        let truth = (0..<rows * width).map { Float($0) / 100 }
        #expect {
            try sequences.write(to: output, rankingTruth: ["test": Array(truth.dropLast())])
        } throws: { error in
            "\(error)".contains("truth-test.f32") && "\(error)".contains("expected \(rows * width)")
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        try sequences.write(to: output, rankingTruth: ["test": truth])
        let dataset = try Dataset.load(output, cache: .require)
        #expect(dataset.schema.rankingTruth == ["test": "truth-test.f32"])
        #expect(try dataset.rankingTruth(split: "validation") == nil)
        let loaded = try #require(try dataset.rankingTruth(split: "test"))
        #expect(loaded.rows == rows && loaded.items == width)
        #expect(loaded.row(1) == Array(truth[width..<2 * width]))
        try Data(count: 8).write(to: URL(fileURLWithPath: output + "/truth-test.f32"))
        #expect {
            try dataset.rankingTruth(split: "test")
        } throws: { error in
            "\(error)".hasPrefix(output + "/truth-test.f32: cannot be read: holds 8 bytes; expected \(rows * width * 4)")
        }
    }

    @Test(.needsSharedData) func movieLensRatingsSplitPerUser() throws {
        let ratings = try SharedData.folder(named: "movielens-latest-small") + "/ratings.csv"
        let log = try LeaveOneOutSequences.readInteractions(
            path: ratings, userColumn: "userId", itemColumn: "movieId", timeColumn: "timestamp")
        let sequences = try LeaveOneOutSequences(interactions: log)
        // Measured: every user has at least 20 ratings, so all are evaluated and all have a
        // train row; 15,790 ratings share their time with the user's previous one.
        #expect(
            sequences.report
                == .init(
                    users: 610, interactions: 100_836, items: 9_724, usersEvaluated: 610, usersBelowThreshold: 0,
                    usersWithoutTrainRow: 0, tiesInTime: 15_790, minimumInteractions: 3))
        let scratch = try ScratchFolder()
        let dataset = try sequences.write(to: scratch.path + "/movielens", source: "ratings.csv")
        for split in ["train", "validation", "test"] { #expect(try dataset.split(split).rowCount == 610) }
        let train = try dataset.split("train")
        guard case .lists(let ids, _) = train.column("items")?.values else {
            Issue.record("items is not an id list")
            return
        }
        // Train inputs hold every rating but the last three of each user.
        #expect(ids.count == 100_836 - 3 * 610)
        #expect(dataset.vocabulary(for: "target")?.size == 9_725)
    }
}
