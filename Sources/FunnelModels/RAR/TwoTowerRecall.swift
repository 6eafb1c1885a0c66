import Foundation
import FunnelTensor

/// The two-tower simulated recall stage of RAR (adaptation.md §1.1, [ASSUMED] two-tower), which
/// reads the same click log as ``ItemCFRecall`` and, for a row of day `D`, only its clicks of
/// days strictly before `D` (§1.5).
///
/// Towers (width `d = dimensions`):
/// - item tower: `q_i = Q[i]`, `Q` `[itemCount, d]` the item-id embedding;
/// - user tower at day `D`: `p_u = P[u] + mean_{c ∈ H_D(u)} Q[c]`, `P` `[userCount, d]` the user-id
///   embedding and `H_D(u)` u's last `queryClicks` clicks of days `< D` (shared item embeddings).
///
/// Training (warm start, incremental): the towers start from seeded normal weights (σ = 0.1) and
/// are trained day by day, in the order of the log's click days; the clicks of day `d` are
/// trained `epochs` times (a seeded shuffle of the day per epoch), each click `(u, i)` by plain
/// SGD on the BCE of `σ(p_u · q_j)` against 1 for `j = i` and 0 for `negatives` items drawn
/// uniformly (a draw equal to `i` is skipped), with `p_u` built from u's clicks of days `< d`.
/// The draws of day `d` come from `(seed, d)` alone, so the model of day `D` (the state after
/// every click day `< D`) depends on the clicks before `D` and on nothing else: not on later
/// clicks, nor on which other days were asked for.
///
/// Recall for `(u, D)`: the top `count` items by `p_u · q_j`, the target excluded, equal scores
/// by the smaller id. A user without a click before `D` (in particular every user of a day
/// without earlier clicks) has an untrained user tower: it gets ItemCFRecall's popularity fill,
/// the most clicked items before `D`.
public struct TwoTowerRecall: Sendable {
    /// The towers of one day `D`: `P` `[userCount * d]` and `Q` `[itemCount * d]`, row-major.
    struct Towers: Sendable {
        var users: [Float]
        var items: [Float]
    }

    /// The click log (and its per-user, day-ordered click lists).
    public let log: ItemCFRecall
    /// `d`, the width of both towers.
    public let dimensions: Int
    /// The clicks of days `< D` averaged into the user tower (RAR's `recallQueryClicks`).
    public let queryClicks: Int
    /// The towers of every day asked for at construction, by day.
    let towers: [Int64: Towers]

    /// Trains the towers of every day of `days` (see the type's documentation).
    /// - Parameters: `log`: the click log; `days`: the days whose rows will ask for lists;
    ///   `epochs`, `negatives`, `learningRate`: the SGD schedule; `seed`: every draw.
    public init(
        log: ItemCFRecall, days: some Sequence<Int64>, dimensions: Int, queryClicks: Int, epochs: Int, negatives: Int,
        learningRate: Float, seed: UInt64
    ) {
        precondition(dimensions > 0 && epochs >= 0 && negatives >= 0, "Funnel: invalid two-tower schedule")
        self.log = log
        self.dimensions = dimensions
        self.queryClicks = queryClicks
        let (userCount, itemCount) = (log.userCount, log.itemCount)
        var generator = RandomGenerator(seed: seed)
        var state = Towers(
            users: (0..<(userCount * dimensions)).map { _ in 0.1 * generator.nextNormal() },
            items: (0..<(itemCount * dimensions)).map { _ in 0.1 * generator.nextNormal() })
        // Every click as (day, user, position in the user's day-ordered clicks), grouped by day.
        var clicksByDay: [Int64: [(user: Int32, position: Int32)]] = [:]
        for (user, clicks) in log.userClicks.enumerated() {
            for (position, click) in clicks.enumerated() { clicksByDay[click.day, default: []].append((Int32(user), Int32(position))) }
        }
        let clickDays = clicksByDay.keys.sorted()
        var towers: [Int64: Towers] = [:]
        var next = 0
        for day in Set(days).sorted() {
            while next < clickDays.count && clickDays[next] < day {
                let clickDay = clickDays[next]
                Self.train(
                    &state, log: log, day: clickDay, clicks: clicksByDay[clickDay]!, dimensions: dimensions, queryClicks: queryClicks,
                    epochs: epochs, negatives: negatives, learningRate: learningRate,
                    seed: seed ^ (UInt64(bitPattern: clickDay) &* 0x9E37_79B9_7F4A_7C15))
                next += 1
            }
            towers[day] = state
        }
        self.towers = towers
    }

    /// The days whose towers were trained.
    public var days: [Int64] { towers.keys.sorted() }

    /// `epochs` SGD passes over the clicks of `day`, in place.
    static func train(
        _ state: inout Towers, log: ItemCFRecall, day: Int64, clicks: [(user: Int32, position: Int32)], dimensions: Int,
        queryClicks: Int, epochs: Int, negatives: Int, learningRate: Float, seed: UInt64
    ) {
        var generator = RandomGenerator(seed: seed)
        var order = Array(clicks.indices)
        let itemCount = log.itemCount
        var query = [Float](repeating: 0, count: dimensions)
        var gradient = [Float](repeating: 0, count: dimensions)
        var targets: [(item: Int, label: Float)] = []
        for _ in 0..<epochs {
            for index in order.indices.reversed() where index > 0 {
                order.swapAt(index, Int(generator.next() % UInt64(index + 1)))
            }
            for click in order.map({ clicks[$0] }) {
                let userClicks = log.userClicks[Int(click.user)]
                let positive = Int(userClicks[Int(click.position)].item)
                // The user's clicks of days before this click's day: H_day(u).
                let end = ItemCFRecall.partition(userClicks.count) { userClicks[$0].day < day }
                let history = userClicks[Swift.max(0, end - queryClicks)..<end].map { Int($0.item) }
                targets = [(positive, 1)]
                for _ in 0..<negatives {
                    let negative = Int(generator.next() % UInt64(itemCount))
                    if negative != positive { targets.append((negative, 0)) }
                }
                let userBase = Int(click.user) * dimensions
                state.users.withUnsafeMutableBufferPointer { users in
                    state.items.withUnsafeMutableBufferPointer { items in
                        let scale = history.isEmpty ? 0 : 1 / Float(history.count)
                        for k in 0..<dimensions { query[k] = users[userBase + k] }
                        for item in history {
                            for k in 0..<dimensions { query[k] += scale * items[item * dimensions + k] }
                        }
                        for k in 0..<dimensions { gradient[k] = 0 }
                        for (item, label) in targets {
                            let base = item * dimensions
                            var score: Float = 0
                            for k in 0..<dimensions { score += query[k] * items[base + k] }
                            let error = 1 / (1 + Foundation.exp(-score)) - label
                            for k in 0..<dimensions {
                                gradient[k] += error * items[base + k]
                                items[base + k] -= learningRate * error * query[k]
                            }
                        }
                        for k in 0..<dimensions { users[userBase + k] -= learningRate * gradient[k] }
                        for item in history {
                            for k in 0..<dimensions { items[item * dimensions + k] -= learningRate * scale * gradient[k] }
                        }
                    }
                }
            }
        }
    }

    /// `p_u` at `day`, `[d]`; `nil` when `user` has no click before `day` or no towers were
    /// trained for `day` or an earlier day (the towers used are the latest of a day `≤ day`).
    public func userVector(user: Int32, day: Int64) -> [Float]? {
        let history = log.recentClicks(user: user, before: day, count: queryClicks)
        guard !history.isEmpty, Int(user) < log.userCount, let towers = self.towers(for: day) else { return nil }
        let scale = 1 / Float(history.count)
        var query = Array(towers.users[(Int(user) * dimensions)..<((Int(user) + 1) * dimensions)])
        for item in history {
            for k in 0..<dimensions { query[k] += scale * towers.items[Int(item) * dimensions + k] }
        }
        return query
    }

    /// The towers of `day`, or of the latest trained day before it (never a later one).
    func towers(for day: Int64) -> Towers? {
        if let exact = towers[day] { return exact }
        return towers.keys.filter { $0 < day }.max().flatMap { towers[$0] }
    }

    /// The scores `p_u · q_j` of every item at `day`, `[itemCount]` (`nil`: see ``userVector(user:day:)``).
    public func scores(user: Int32, day: Int64) -> [Float]? {
        guard let query = userVector(user: user, day: day), let towers = towers(for: day) else { return nil }
        let dimensions = self.dimensions
        var scores = [Float](repeating: 0, count: log.itemCount)
        towers.items.withUnsafeBufferPointer { items in
            query.withUnsafeBufferPointer { query in
                scores.withUnsafeMutableBufferPointer { scores in
                    for item in scores.indices {
                        var score: Float = 0
                        for k in 0..<dimensions { score += query[k] * items[item * dimensions + k] }
                        scores[item] = score
                    }
                }
            }
        }
        return scores
    }

    /// R_u: the top `count` items for `user` on `day` but `target`, best first. `popularity` is
    /// ``ItemCFRecall/popularityOrder(before:)`` of the same day (the fill of a user without history).
    public func recall(user: Int32, day: Int64, excluding target: Int32, count: Int, popularity: [Int32]) -> [Int32] {
        guard let scores = scores(user: user, day: day) else {
            return Array(popularity.lazy.filter { $0 != target }.prefix(count))
        }
        // Items in id order into a best-first buffer of at most `count`: an item displaces only a
        // strictly lower score, so equal scores keep the smaller id first.
        var kept: [Int32] = []
        kept.reserveCapacity(count + 1)
        scores.withUnsafeBufferPointer { scores in
            for item in scores.indices where item != Int(target) {
                let score = scores[item]
                if kept.count == count, count == 0 || scores[Int(kept[count - 1])] >= score { continue }
                var position = kept.count
                while position > 0 && scores[Int(kept[position - 1])] < score { position -= 1 }
                kept.insert(Int32(item), at: position)
                if kept.count > count { kept.removeLast() }
            }
        }
        return kept
    }
}
