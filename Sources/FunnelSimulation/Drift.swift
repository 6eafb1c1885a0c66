import Foundation
import FunnelTensor

/// The drift of one world, shared by the worlds that embed ``DriftKnobs``: which items are new
/// or collapse at the shift, the exposure weights before and after it, the appeal offsets, and
/// each user's taste from day to day.
///
/// Its draws come from streams of its own (one for the items, one per user), seeded from the
/// world's seed, so switching drift on changes no draw of the world's own streams: the same
/// users visit on the same days and draw their items with the same random numbers.
struct Drift: Sendable {
    /// What the shift does to an item.
    enum ItemRole: UInt8, Sendable {
        /// Neither new nor collapsed.
        case stable
        /// Never shown before the shift day, shown (boosted) from it on.
        case new
        /// Loses `appealCollapse` logits of click appeal from the shift day.
        case collapsed
    }

    let knobs: DriftKnobs
    let seed: UInt64
    /// Each item's role at the shift (empty without a shift: every item is stable).
    let itemRoles: [ItemRole]

    init(seed: UInt64, items: Int, knobs: DriftKnobs) {
        self.knobs = knobs
        self.seed = seed
        guard knobs.hasShift else {
            itemRoles = []
            return
        }
        // A partial Fisher–Yates shuffle: the first items of a random order are new, the next
        // collapsed, so the counts are exact.
        var random = RandomGenerator(seed: seed ^ 0xD2_1F_7A_5E_C4_03_96_B1)
        var order = Array(0..<items)
        let newCount = Int(knobs.newItemShare * Double(items))
        let collapsedCount = Swift.min(
            items - newCount, Int(knobs.collapsedItemShare * Double(items)))
        var roles = [ItemRole](repeating: .stable, count: items)
        for position in 0..<(newCount + collapsedCount) {
            let swap = position + Int(random.next() % UInt64(items - position))
            order.swapAt(position, swap)
            roles[order[position]] = position < newCount ? .new : .collapsed
        }
        itemRoles = roles
    }

    /// The role of `item` (stable without a shift).
    func role(of item: Int) -> ItemRole {
        itemRoles.isEmpty ? .stable : itemRoles[item]
    }

    /// Whether `day` is on or after the shift day (never without a shift).
    func isAfterShift(_ day: Int) -> Bool {
        knobs.hasShift && day >= knobs.shiftDay
    }

    /// The policy's exposure weights before or after the shift, from the world's own weights:
    /// new items get none before it and `newItemBoost` logits more after it. Without a shift the
    /// weights are returned unchanged.
    func exposureWeights(_ weights: [Double], afterShift: Bool) -> [Double] {
        guard knobs.hasShift else { return weights }
        let boost = Foundation.exp(knobs.newItemBoost)
        return weights.indices.map { item in
            guard itemRoles[item] == .new else { return weights[item] }
            return afterShift ? weights[item] * boost : 0
        }
    }

    /// Logits added to the click appeal of `item` on `day`: −`appealCollapse` for a collapsed
    /// item from the shift day, 0 otherwise.
    func appealOffset(item: Int, day: Int) -> Double {
        isAfterShift(day) && itemRoles[item] == .collapsed ? -knobs.appealCollapse : 0
    }

    /// Whether an exposure of `item` to a user on `day` is touched by the shift (the drift truth
    /// column `shifted`).
    func isShifted(item: Int, user: User, day: Int) -> Bool {
        isAfterShift(day) && (user.redrawsTaste || itemRoles[item] != .stable)
    }

    /// The drift of one user, from the user's own drift stream.
    func user(_ user: Int) -> User {
        var random = userGenerator(seed: seed ^ 0x6A_09_E6_67_F3_BC_C9_08, user: user)
        let redraws = knobs.hasShift && Double(random.nextUnitFloat()) < knobs.shiftedUserShare
        return User(knobs: knobs, random: random, redrawsTaste: redraws)
    }

    /// One user's taste from day to day.
    struct User {
        let knobs: DriftKnobs
        var random: RandomGenerator
        /// Whether the user redraws their taste on the shift day.
        let redrawsTaste: Bool

        /// Moves `taste` to `day`, the day after the one it held (or the first day, when
        /// `isFirstDay`): one random-walk step, then, on the shift day, a redraw for a shifted user.
        mutating func advance(_ taste: inout [Float], to day: Int, isFirstDay: Bool) {
            let rho = Float(knobs.tasteDriftPerDay)
            if rho > 0, !isFirstDay {
                let keep = (1 - rho * rho).squareRoot()
                for dimension in taste.indices {
                    taste[dimension] = keep * taste[dimension] + rho * random.nextNormal()
                }
            }
            if redrawsTaste, day == knobs.shiftDay {
                for dimension in taste.indices { taste[dimension] = random.nextNormal() }
            }
        }
    }
}
