import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelData

@Suite struct LeaveOneOutSequencesTests {
    typealias Interaction = LeaveOneOutSequences.Interaction

    /// Four users in first-appearance order 7, 3, 9, 5. Sorted by time: user 7 sees items
    /// 101 100 102 100; user 3 sees 202, then 200 and 201 at the same time (kept in input
    /// order), then 203; user 9 has one interaction; user 5 has three.
    static let log: [Interaction] = [
        .init(user: 7, item: 100, time: 50), .init(user: 3, item: 200, time: 10),
        .init(user: 7, item: 101, time: 40), .init(user: 3, item: 201, time: 10),
        .init(user: 7, item: 102, time: 60), .init(user: 3, item: 202, time: 5),
        .init(user: 9, item: 300, time: 1), .init(user: 7, item: 100, time: 70),
        .init(user: 3, item: 203, time: 20), .init(user: 5, item: 400, time: 3),
        .init(user: 5, item: 401, time: 4), .init(user: 5, item: 402, time: 5),
    ]

    private func rows(_ sequences: LeaveOneOutSequences, _ split: LeaveOneOutSequences.Split) -> [[Int64]] {
        sequences.rows(split).map { row in
            [row.user] + row.items.map(Int64.init) + [-1, Int64(row.target), row.targetTime]
        }
    }

    @Test func itemsGetIdsInFirstAppearanceOrderOverTheSortedLog() throws {
        let sequences = try LeaveOneOutSequences(interactions: Self.log)
        // 101→1, 100→2, 102→3 (user 7), 202→4, 200→5, 201→6, 203→7 (user 3), 300→8, 400…402→9…11.
        #expect(sequences.itemKeys == [0, 101, 100, 102, 202, 200, 201, 203, 300, 400, 401, 402])
        #expect(sequences.itemCount == 11)
        #expect(sequences.users.map(\.user) == [7, 3, 9, 5])
        #expect(sequences.users[1].items == [4, 5, 6, 7] && sequences.users[1].times == [5, 10, 10, 20])
    }

    @Test func thresholdThree() throws {
        let sequences = try LeaveOneOutSequences(interactions: Self.log, minimumInteractions: 3)
        // user, items…, -1, target, target time. User 5's training sequence is one item: no
        // train row; user 9 (one interaction) is below the threshold and has none either.
        #expect(rows(sequences, .train) == [[7, 1, -1, 2, 50], [3, 4, -1, 5, 10]])
        #expect(rows(sequences, .validation) == [[7, 1, 2, -1, 3, 60], [3, 4, 5, -1, 6, 10], [5, 9, -1, 10, 4]])
        #expect(rows(sequences, .test) == [[7, 1, 2, 3, -1, 2, 70], [3, 4, 5, 6, -1, 7, 20], [5, 9, 10, -1, 11, 5]])
        #expect(sequences.rows(.train)[0].times == [40])
        #expect(sequences.rows(.test)[0].times == [40, 50, 60])
        // Every distinct item of the user over the whole log, in every split.
        #expect(sequences.rows(.train).map(\.interacted) == [[1, 2, 3], [4, 5, 6, 7]])
        #expect(sequences.rows(.test)[2].interacted == [9, 10, 11])
        #expect(
            sequences.report
                == .init(
                    users: 4, interactions: 12, items: 11, usersEvaluated: 3, usersBelowThreshold: 1,
                    usersWithoutTrainRow: 2, tiesInTime: 1, minimumInteractions: 3))
    }

    @Test func thresholdFourSendsUsersBelowItOnlyToTrain() throws {
        let sequences = try LeaveOneOutSequences(interactions: Self.log, minimumInteractions: 4)
        #expect(rows(sequences, .train) == [[7, 1, -1, 2, 50], [3, 4, -1, 5, 10], [5, 9, 10, -1, 11, 5]])
        #expect(sequences.rows(.validation).map(\.user) == [7, 3])
        #expect(sequences.rows(.test).map(\.user) == [7, 3])
        #expect(sequences.report.usersEvaluated == 2 && sequences.report.usersBelowThreshold == 2)
        // Only user 9 (one interaction) has no train row.
        #expect(sequences.report.usersWithoutTrainRow == 1)
    }

    @Test func writesAFolderThatLoadsAndBatches() throws {
        let scratch = try ScratchFolder()
        let output = scratch.path + "/sequences"
        let sequences = try LeaveOneOutSequences(interactions: Self.log)
        try sequences.write(to: output, name: "hand-made")
        let dataset = try Dataset.load(output, cache: .require)
        #expect(dataset.schema.column(named: "user")?.vocabulary == .identity(size: 10))
        #expect(dataset.vocabulary(for: "items")?.size == 12)
        #expect(dataset.schema.notes?.contains("users without a train row 2") == true)
        #expect(dataset.schema.rankingTruth == nil)
        let items = try String(contentsOfFile: output + "/items.csv", encoding: .utf8)
        #expect(items.hasPrefix("id,raw\n1,101\n2,100\n3,102\n") && items.hasSuffix("11,402\n"))
        let test = try dataset.split("test")
        #expect(test.column("target")?.values.ids?.array == [2, 7, 11])
        #expect(test.column("user")?.keys?.array == [7, 3, 5])
        let policy = SequencePolicy(length: 3, padding: .leading)
        let batcher = try Batcher(
            dataset: dataset, split: "test", batchSize: 3, shuffle: false, sequences: ["items": policy, "times": policy])
        let batch = batcher.batch(batcher.batches(epoch: 0)[0])
        // User 5's two inputs sit at the end, after one padding id (the vocabulary size, 12).
        #expect(batch.sequences["items"]?.ids == [1, 2, 3, 4, 5, 6, 12, 9, 10])
        #expect(batch.timestampSequences["times"]?.values == [40, 50, 60, 5, 10, 10, 0, 3, 4])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: scratch.path)) == ["sequences"])
    }

    @Test func identityItemIDsAreUsedAsGivenAndCheckedForRange() throws {
        let log: [Interaction] = [
            .init(user: 1, item: 4, time: 1), .init(user: 1, item: 2, time: 2), .init(user: 1, item: 3, time: 3),
        ]
        let sequences = try LeaveOneOutSequences(interactions: log, itemIDs: .identity(size: 6))
        #expect(sequences.itemCount == 5 && sequences.users[0].items == [4, 2, 3])
        #expect(throws: DataError.badValue(FileLocation(file: "interactions", line: 2), found: "6", expected: "an item id in 1..<6 (itemIDs: .identity)")) {
            try LeaveOneOutSequences(
                interactions: [log[0], .init(user: 1, item: 6, time: 2)], itemIDs: .identity(size: 6))
        }
    }

    @Test func userKeysBecomeIdentityIdsOnlyWhenSmallAndNonNegative() throws {
        func vocabulary(_ users: [Int64]) throws -> Vocabulary? {
            let log = users.map { Interaction(user: $0, item: 1, time: 0) }
            return try LeaveOneOutSequences(interactions: log).columns.first?.vocabulary
        }
        #expect(try vocabulary([3, 65_535]) == .identity(size: 65_536))
        #expect(try vocabulary([3, 65_536]) == .built(minimumCount: 1))
        #expect(try vocabulary([-1, 2]) == .built(minimumCount: 1))
    }
}
