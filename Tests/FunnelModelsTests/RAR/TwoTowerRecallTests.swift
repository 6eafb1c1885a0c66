import Foundation
import FunnelData
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelModels

/// RAR's two-tower retriever reads only days before the row's (adaptation.md §1.1, §1.5).
@Suite struct TwoTowerRecallTests {
    typealias Click = (user: Int32, item: Int32, day: Int64)

    /// Users 0–3, items 0–7, clicks on days 0–2, one non-click row; `extra` rows appended.
    static func log(_ extra: [Click] = [], userCount: Int = 4, itemCount: Int = 8) -> ItemCFRecall {
        let rows: [Click] = [(0, 0, 0), (0, 1, 1), (1, 1, 0), (1, 2, 2), (2, 3, 0), (2, 4, 1), (3, 5, 1), (0, 2, 2)] + extra
        return ItemCFRecall(
            users: rows.map(\.user) + [3], items: rows.map(\.item) + [7], days: rows.map(\.day) + [0],
            clicks: rows.map { _ in 1 } + [0], userCount: userCount, itemCount: itemCount)
    }

    static func retriever(
        _ log: ItemCFRecall, days: [Int64] = [0, 1, 2, 3, 4], epochs: Int = 3, learningRate: Float = 0.05, seed: UInt64 = 11
    ) -> TwoTowerRecall {
        TwoTowerRecall(
            log: log, days: days, dimensions: 8, queryClicks: 20, epochs: epochs, negatives: 4, learningRate: learningRate, seed: seed)
    }

    /// Every (user, target) list of `day`.
    static func lists(_ retriever: TwoTowerRecall, day: Int64, count: Int = 4) -> [[Int32]] {
        let popularity = retriever.log.popularityOrder(before: day)
        return (0..<Int32(retriever.log.userCount)).flatMap { user in
            (0..<Int32(retriever.log.itemCount)).map { target in
                retriever.recall(user: user, day: day, excluding: target, count: count, popularity: popularity)
            }
        }
    }

    @Test func clicksOfTheDayOrLaterChangeNothingButAClickOfTheDayBeforeDoes() {
        let past = Self.retriever(Self.log())
        // Day 3 and day 4 clicks, of users with and without history, on new and old items.
        let future = Self.retriever(Self.log([(0, 6, 3), (3, 0, 3), (1, 7, 4), (0, 3, 3)]))
        for day: Int64 in [0, 1, 2, 3] {
            #expect(Self.lists(future, day: day) == Self.lists(past, day: day), "day \(day)")
            for user: Int32 in 0..<4 { #expect(future.scores(user: user, day: day) == past.scores(user: user, day: day)) }
        }
        // Day 4 reads the day-3 clicks: the scores change (the test can fail).
        #expect(future.scores(user: 0, day: 4) != past.scores(user: 0, day: 4))
        // A click on day 2 = D − 1 changes the day-3 towers and lists.
        let yesterday = Self.retriever(Self.log([(1, 6, 2), (3, 6, 2), (2, 6, 2)]))
        #expect(yesterday.scores(user: 0, day: 3) != past.scores(user: 0, day: 3))
        #expect(Self.lists(yesterday, day: 3) != Self.lists(past, day: 3))
        #expect(Self.lists(yesterday, day: 2) == Self.lists(past, day: 2))
        // Asking for fewer days trains the same towers for the days asked.
        let fewer = Self.retriever(Self.log(), days: [3])
        #expect(Self.lists(fewer, day: 3) == Self.lists(past, day: 3))
    }

    @Test func theTargetIsNeverInItsListAndUsersWithoutHistoryGetThePopularItems() throws {
        let retriever = Self.retriever(Self.log())
        for day: Int64 in [0, 1, 2, 3] {
            for user: Int32 in 0..<4 {
                for target: Int32 in 0..<8 {
                    let list = retriever.recall(
                        user: user, day: day, excluding: target, count: 10, popularity: retriever.log.popularityOrder(before: day))
                    #expect(!list.contains(target) && list.count == 7 && Set(list).count == 7, "user \(user), day \(day)")
                }
            }
        }
        // No click before day 0: popularity (all zero, ids ascending). User 3's first click is on day 1.
        #expect(retriever.scores(user: 0, day: 0) == nil && retriever.scores(user: 3, day: 1) == nil)
        let popularity = retriever.log.popularityOrder(before: 1)
        #expect(retriever.recall(user: 3, day: 1, excluding: 0, count: 3, popularity: popularity) == [1, 3, 2])
        #expect(retriever.recall(user: 0, day: 0, excluding: 1, count: 3, popularity: retriever.log.popularityOrder(before: 0)) == [0, 2, 3])
        // With history: the list is the scores' order, ties by id.
        let scores = try #require(retriever.scores(user: 0, day: 2))
        let list = retriever.recall(user: 0, day: 2, excluding: 5, count: 7, popularity: popularity)
        let candidates: [Int] = [0, 1, 2, 3, 4, 6, 7]
        let expected: [Int32] = candidates.sorted { (first: Int, second: Int) -> Bool in
            scores[first] != scores[second] ? scores[first] > scores[second] : first < second
        }.map { Int32($0) }
        #expect(list == expected)
    }

    @Test func theSeedDeterminesTheTowers() {
        let first = Self.retriever(Self.log())
        let second = Self.retriever(Self.log())
        let other = Self.retriever(Self.log(), seed: 12)
        for day: Int64 in [1, 2, 3] {
            for user: Int32 in 0..<3 {
                #expect(first.scores(user: user, day: day) == second.scores(user: user, day: day))
                #expect(first.scores(user: user, day: day) != other.scores(user: user, day: day))
            }
        }
    }

    @Test func twoGroupsOfUsersRecallTheirOwnItems() {
        // Users 0–9 click only items 0–9, users 10–19 only items 10–19, on days 0–4.
        var random = RandomGenerator(seed: 3)
        var clicks: [Click] = []
        for day: Int64 in 0..<5 {
            for user: Int32 in 0..<20 {
                let group = user / 10
                for _ in 0..<2 { clicks.append((user, group * 10 + Int32(random.next() % 10), day)) }
            }
        }
        let log = ItemCFRecall(
            users: clicks.map(\.user), items: clicks.map(\.item), days: clicks.map(\.day), clicks: clicks.map { _ in 1 },
            userCount: 20, itemCount: 20)
        // The defaults of the configuration (3 epochs, 4 negatives, step 0.05, d = 16).
        let defaults = RARConfiguration()
        let retriever = TwoTowerRecall(
            log: log, days: [5], dimensions: defaults.twoTowerDimensions, queryClicks: defaults.recallQueryClicks,
            epochs: defaults.twoTowerEpochs, negatives: defaults.twoTowerNegatives, learningRate: defaults.twoTowerLearningRate,
            seed: UInt64(defaults.twoTowerSeed))
        let popularity = log.popularityOrder(before: 5)
        var hits = 0
        for user: Int32 in 0..<20 {
            let group = user / 10
            let list = retriever.recall(user: user, day: 5, excluding: group * 10, count: 5, popularity: popularity)
            hits += list.filter { $0 / 10 == group }.count
        }
        #expect(hits == 100, "\(hits) of 100 recalled items in the user's group")
    }

    /// The homepage world: RAR with `"retriever": "twoTower"` on mlp.
    static let rar = #"{"retriever": "twoTower", "poolSize": 60, "recallCount": 30, "lookAlikeCount": 8, "recallKept": 8}"#

    @Test func mlpLearnsOneBatchWithTheTwoTowerRetrieverAndItsListsReadOnlyEarlierDays() throws {
        let model = try RecallAugmentationTests.model(.mlp, RecallAugmentationTests.hosts[0].configuration, rar: Self.rar)
        let augmentation = try #require(RecallAugmentationTests.augmentation(of: model))
        let twoTower = try #require(augmentation.twoTower)
        let batch = try RecallAugmentationTests.batch(for: model, size: 256)
        let (users, items, days) = (batch.ids["user"]!, batch.ids["item"]!, batch.integers["day"]!)
        let lists = augmentation.recallLists(users: users, items: items, days: days)
        let itemCF = users.indices.map { row in
            augmentation.log.recall(
                user: users[row], day: days[row], excluding: items[row], count: 30, queryClicks: 20,
                popularity: augmentation.log.popularityOrder(before: days[row]))
        }
        #expect(lists != itemCF)
        // A retriever built from the training rows of days before D alone gives the same lists.
        let dataset = RecallAugmentationTests.dataset
        let table = try dataset.split("train")
        let (allUsers, allItems) = (table.column("user")!.values.ids!.array, table.column("item")!.values.ids!.array)
        let (allDays, allClicks) = (table.column("day")!.values.integers!.array, table.column("click")!.values.floats!.array)
        for day in Set(days).sorted().prefix(3) {
            let earlier = allDays.indices.filter { allDays[$0] < day }
            let truncated = ItemCFRecall(
                users: earlier.map { allUsers[$0] }, items: earlier.map { allItems[$0] }, days: earlier.map { allDays[$0] },
                clicks: earlier.map { allClicks[$0] }, userCount: twoTower.log.userCount, itemCount: twoTower.log.itemCount)
            let configuration = augmentation.configuration
            let reference = TwoTowerRecall(
                log: truncated, days: [day], dimensions: 16, queryClicks: 20, epochs: 3, negatives: 4, learningRate: 0.05,
                seed: UInt64(configuration.twoTowerSeed))
            let popularity = truncated.popularityOrder(before: day)
            for row in days.indices where days[row] == day {
                let expected = reference.recall(user: users[row], day: day, excluding: items[row], count: 30, popularity: popularity)
                #expect(lists[row] == expected, "row \(row), day \(day)")
                #expect(!lists[row].contains(items[row]) && lists[row].count == 30)
            }
        }
        // One batch, the joint objective.
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: 0.02))
        var losses: [Float] = []
        for _ in 0..<20 {
            let objective = try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil)
            #expect(objective.tasks.map(\.name) == ["ctr", "recall"])
            losses.append(objective.total.scalar)
        }
        #expect(losses.allSatisfy(\.isFinite) && losses.last! < losses.first! * 0.8, "\(losses.first!) → \(losses.last!)")
    }

    @Test func twoTowerOptionsAreRefusedWithTheirPath() throws {
        #expect {
            try RecallAugmentationTests.model(.mlp, RecallAugmentationTests.hosts[0].configuration, rar: #"{"twoTowerEpochs": 0}"#)
        } throws: { "\($0)".contains("modelConfiguration.rar.twoTowerEpochs") }
        #expect {
            try RecallAugmentationTests.model(.mlp, RecallAugmentationTests.hosts[0].configuration, rar: #"{"retriever": "twoTowers"}"#)
        } throws: { "\($0)".contains("twoTowers") }
    }
}
