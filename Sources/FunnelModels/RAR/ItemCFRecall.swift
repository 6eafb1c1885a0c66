import FunnelData

/// The simulated recall stage of RAR (adaptation.md §1.1, [ASSUMED] item-CF): a click log indexed
/// by day, from which every query reads only the clicks of days strictly before the query's day
/// (§1.5: nothing at or after the impression's day).
///
/// The log is the click rows (label 1) of one split (RAR's `clickSplit`, the training split by
/// default). For a row of user `u` on day `D`:
/// - the user's recent clicks are `u`'s last clicks of days `< D`;
/// - `count_D(i, j)` is the number of users who clicked both `i` and `j` (`i ≠ j`), each pair
///   counted once per user from the day both were clicked: a pair whose later first click is on
///   day `D` or after does not count;
/// - the score of item `j` is `Σ_{i ∈ recent clicks} count_D(i, j)`;
/// - the recall list is the top `M` items but the target by (score, then clicks of days `< D`,
///   then the smaller id): a user without history gets the most popular items before `D`.
public struct ItemCFRecall: Sendable {
    /// The catalogue size; item ids are `0..<itemCount`.
    public let itemCount: Int
    /// Per user: its clicks ordered by day (then log order), as (day, item).
    let userClicks: [[(day: Int64, item: Int32)]]
    /// Per item `i`: the items `j` co-clicked with it and the day each pair began to count, by day.
    let cooccurrences: [[(day: Int64, item: Int32)]]
    /// Per item: the days of its clicks, ascending.
    let itemClickDays: [[Int64]]

    /// - Parameters: parallel arrays of the log's rows; `clicks` is 1 on a click. Users and items
    ///   are dense ids below `userCount` and `itemCount`.
    public init(users: [Int32], items: [Int32], days: [Int64], clicks: [Float], userCount: Int, itemCount: Int) {
        precondition(users.count == items.count && items.count == days.count && days.count == clicks.count, "Funnel: ragged click log")
        self.itemCount = itemCount
        var userClicks = [[(day: Int64, item: Int32)]](repeating: [], count: userCount)
        var itemClickDays = [[Int64]](repeating: [], count: itemCount)
        for row in users.indices where clicks[row] > 0 {
            userClicks[Int(users[row])].append((days[row], items[row]))
            itemClickDays[Int(items[row])].append(days[row])
        }
        var cooccurrences = [[(day: Int64, item: Int32)]](repeating: [], count: itemCount)
        for index in userClicks.indices {
            // Stable: equal days keep the log's order.
            userClicks[index] = userClicks[index].enumerated().sorted { ($0.element.day, $0.offset) < ($1.element.day, $1.offset) }
                .map(\.element)
            var firstDay: [Int32: Int64] = [:]
            for click in userClicks[index] where firstDay[click.item] == nil { firstDay[click.item] = click.day }
            let clicked = firstDay.keys.sorted()
            for first in clicked {
                for second in clicked where second != first {
                    cooccurrences[Int(first)].append((Swift.max(firstDay[first]!, firstDay[second]!), second))
                }
            }
        }
        self.userClicks = userClicks
        self.cooccurrences = cooccurrences.map { $0.enumerated().sorted { ($0.element.day, $0.offset) < ($1.element.day, $1.offset) }.map(\.element) }
        self.itemClickDays = itemClickDays.map { $0.sorted() }
    }

    /// The click log of `split` in `dataset`: its `user`, `item`, `day` and `label` columns.
    public init(dataset: Dataset, split: String, user: String, item: String, day: String, label: String) throws {
        let table = try dataset.split(split)
        let what = "RAR's click log"
        guard let users = try table.requireColumn(user, reason: what).values.ids,
            let items = try table.requireColumn(item, reason: what).values.ids,
            let days = try table.requireColumn(day, reason: what).values.integers,
            let labels = try table.requireColumn(label, reason: what).values.floats,
            let userCount = dataset.vocabulary(for: user)?.size, let itemCount = dataset.vocabulary(for: item)?.size
        else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: "\(user), \(item), \(day), \(label)",
                reason: "RAR's click log: categorical user and item, a timestamp day and a label")
        }
        self.init(
            users: users.array, items: items.array, days: days.array, clicks: labels.array, userCount: userCount, itemCount: itemCount)
    }

    /// The number of users the log knows.
    public var userCount: Int { userClicks.count }

    /// `user`'s last `count` clicks of days before `day`, oldest first (an unknown user has none).
    public func recentClicks(user: Int32, before day: Int64, count: Int) -> [Int32] {
        guard Int(user) < userClicks.count, count > 0 else { return [] }
        let clicks = userClicks[Int(user)]
        let end = Self.partition(clicks.count) { clicks[$0].day < day }
        return clicks[Swift.max(0, end - count)..<end].map(\.item)
    }

    /// The items `user` clicked on `day` itself (the label window of §1.3).
    public func clicks(user: Int32, on day: Int64) -> Set<Int32> {
        guard Int(user) < userClicks.count else { return [] }
        return Set(userClicks[Int(user)].lazy.filter { $0.day == day }.map(\.item))
    }

    /// Every item id ordered by its clicks of days before `day` (most first), then by id.
    public func popularityOrder(before day: Int64) -> [Int32] {
        let counts = itemClickDays.map { days in Self.partition(days.count) { days[$0] < day } }
        let order = (0..<itemCount).sorted { (first: Int, second: Int) -> Bool in
            counts[first] != counts[second] ? counts[first] > counts[second] : first < second
        }
        return order.map { Int32($0) }
    }

    /// The item-CF scores `Σ_{i ∈ recent} count_D(i, j)` of every item `j`, `[itemCount]`.
    public func scores(user: Int32, before day: Int64, queryClicks: Int) -> [Int] {
        var scores = [Int](repeating: 0, count: itemCount)
        for clicked in recentClicks(user: user, before: day, count: queryClicks) {
            let events = cooccurrences[Int(clicked)]
            let end = Self.partition(events.count) { events[$0].day < day }
            for event in events[..<end] { scores[Int(event.item)] += 1 }
        }
        return scores
    }

    /// R_u: the top `count` items for `user` on `day` but `target` (see the type's documentation),
    /// best first. `popularity` is ``popularityOrder(before:)`` of the same day and `ranks` its
    /// ``ranks(of:)`` (`nil`: computed here; a batch passes them once per day).
    public func recall(
        user: Int32, day: Int64, excluding target: Int32, count: Int, queryClicks: Int, popularity: [Int32], ranks: [Int]? = nil
    ) -> [Int32] {
        let scores = scores(user: user, before: day, queryClicks: queryClicks)
        let rank = ranks ?? Self.ranks(of: popularity)
        let scored = (0..<itemCount).filter { scores[$0] > 0 && $0 != Int(target) }
            .sorted { (first: Int, second: Int) -> Bool in
                scores[first] != scores[second] ? scores[first] > scores[second] : rank[first] < rank[second]
            }
            .map { Int32($0) }
        var list = Array(scored.prefix(count))
        for item in popularity where list.count < count && item != target && scores[Int(item)] == 0 { list.append(item) }
        return list
    }

    /// The position of every item id in `order`.
    public static func ranks(of order: [Int32]) -> [Int] {
        var rank = [Int](repeating: 0, count: order.count)
        for (position, item) in order.enumerated() { rank[Int(item)] = position }
        return rank
    }

    /// The first index in `0..<count` where `isBefore` is false (it must be true on a prefix).
    static func partition(_ count: Int, _ isBefore: (Int) -> Bool) -> Int {
        var (low, high) = (0, count)
        while low < high {
            let middle = (low + high) / 2
            if isBefore(middle) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
