import FunnelData
import Testing

@testable import FunnelModels

/// RAR's simulated recall stage reads only days before the row's (adaptation.md §1.1, §1.5).
@Suite struct ItemCFRecallTests {
    /// Users 0–2, items 0–5. User 1 clicks 0 and 1 on day 0; user 2 clicks 0 and 2 on day 0.
    /// User 0 clicks 0 on day 0. Rows of `extra` are appended (later days).
    static func log(_ extra: [(user: Int32, item: Int32, day: Int64)] = []) -> ItemCFRecall {
        let rows: [(user: Int32, item: Int32, day: Int64)] = [(1, 0, 0), (1, 1, 0), (2, 0, 0), (2, 2, 0), (0, 0, 0)] + extra
        return ItemCFRecall(
            users: rows.map(\.user) + [0], items: rows.map(\.item) + [5], days: rows.map(\.day) + [0],
            clicks: rows.map { _ in 1 } + [0], userCount: 3, itemCount: 6)
    }

    static func recall(_ log: ItemCFRecall, user: Int32 = 0, day: Int64, target: Int32 = 5, count: Int = 3) -> [Int32] {
        log.recall(
            user: user, day: day, excluding: target, count: count, queryClicks: 20, popularity: log.popularityOrder(before: day))
    }

    @Test func scoresAreCoOccurrencesWithTheRecentClicks() {
        let log = Self.log()
        // User 0 clicked item 0; items 1 and 2 co-occur with 0 once each (users 1 and 2).
        #expect(log.scores(user: 0, before: 1, queryClicks: 20) == [0, 1, 1, 0, 0, 0])
        // Ties by popularity (equal), then id; the list is filled by popularity (item 0 first).
        #expect(Self.recall(log, day: 1) == [1, 2, 0])
        // The target is never in the list; a non-click row (item 5) is not a click.
        #expect(!Self.recall(log, day: 1, target: 1, count: 5).contains(1))
        #expect(log.clicks(user: 0, on: 0) == [0])
    }

    @Test func aFutureClickChangesLaterListsButNotTheRowsDay() {
        // On day 1 user 1 clicks item 3 (co-occurring with item 0 from day 1), and user 0 clicks
        // item 4 on day 1: both are the row's day or later for a day-1 row.
        let future = Self.log([(1, 3, 1), (1, 3, 2), (0, 4, 1)])
        let past = Self.log()
        for day: Int64 in [0, 1] {
            #expect(Self.recall(future, day: day, count: 5) == Self.recall(past, day: day, count: 5), "day \(day)")
            #expect(future.recentClicks(user: 0, before: day, count: 10) == past.recentClicks(user: 0, before: day, count: 10))
            #expect(future.popularityOrder(before: day) == past.popularityOrder(before: day))
        }
        // From day 2 on, the day-1 clicks are history: the list changes (the test can fail).
        #expect(Self.recall(future, day: 2, count: 5) != Self.recall(past, day: 2, count: 5))
        #expect(future.scores(user: 0, before: 2, queryClicks: 20)[3] == 1)
        #expect(future.recentClicks(user: 0, before: 2, count: 10) == [0, 4])
    }

    @Test func aRowOfADayWithoutHistoryGetsThePopularItems() {
        let log = Self.log([(1, 3, 1), (2, 3, 1)])
        // No clicks before day 0: no scores, popularity all zero, ids ascending.
        #expect(Self.recall(log, day: 0, count: 4) == [0, 1, 2, 3])
        // User 0 (clicked 0) on day 2: users 1 and 2 clicked 0 on day 0 and 3 on day 1, so the
        // pair (0, 3) counts twice from day 2 on.
        #expect(log.scores(user: 0, before: 2, queryClicks: 20) == [0, 1, 1, 2, 0, 0])
    }
}
