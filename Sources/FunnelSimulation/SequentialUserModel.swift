import Foundation
import FunnelTensor

/// One user's next-item distribution, with the terms that do not change along the sequence
/// cached: the taste-and-popularity logit of every item and, per category, the distribution
/// over its items that a returning interest chooses from. A step then costs
/// O(items × latentDimensions + history).
struct SequentialUserModel {
    let profile: SequentialWorld.UserProfile
    let catalogue: SequentialCatalogue
    let knobs: SequentialWorld.Knobs
    /// `[items]`: popularity + tasteScale·⟨taste, item⟩.
    let tasteLogit: [Float]
    /// `[items]`: the probability of the item within its category, by `tasteLogit`.
    let withinCategory: [Double]

    init(
        profile: SequentialWorld.UserProfile, catalogue: SequentialCatalogue,
        knobs: SequentialWorld.Knobs
    ) {
        self.profile = profile
        self.catalogue = catalogue
        self.knobs = knobs
        let scale = Float(knobs.tasteScale)
        let logits = (0..<catalogue.items).map {
            catalogue.popularityLogit[$0] + scale * catalogue.affinity($0, profile.taste)
        }
        tasteLogit = logits
        var maximum = [Float](repeating: -.infinity, count: knobs.categories)
        for item in 0..<catalogue.items {
            let category = Int(catalogue.itemCategory[item])
            maximum[category] = Swift.max(maximum[category], logits[item])
        }
        var within = (0..<catalogue.items).map { item in
            Foundation.exp(Double(logits[item] - maximum[Int(catalogue.itemCategory[item])]))
        }
        var total = [Double](repeating: 0, count: knobs.categories)
        for item in 0..<catalogue.items { total[Int(catalogue.itemCategory[item])] += within[item] }
        for item in 0..<catalogue.items { within[item] /= total[Int(catalogue.itemCategory[item])] }
        withinCategory = within
    }

    /// The next-item distribution after `history` at `time`: `[items + 1]`, index 0 = 0.
    func distribution(history: ArraySlice<SequentialWorld.Event>, time: Int64) -> [Float] {
        let items = catalogue.items
        let dimensions = catalogue.latentDimensions
        let start = history.startIndex
        let count = history.count

        // Short-term interest: the decayed mean of the past item vectors, fading after a break.
        var interest = [Float](repeating: 0, count: dimensions)
        var weightSum = 0.0
        for position in 0..<count {
            let event = history[start + position]
            let weight =
                knobs.timeDecay
                ? Foundation.exp(-Double(time - event.time) / (knobs.decayHours * 3_600))
                : Foundation.exp(-Double(count - 1 - position) / knobs.decaySteps)
            weightSum += weight
            let row = (Int(event.item) - 1) * dimensions
            for dimension in 0..<dimensions {
                interest[dimension] += Float(weight) * catalogue.itemVectors[row + dimension]
            }
        }
        let interestScale = Float(knobs.shortTermScale / Swift.max(1, weightSum))
        for dimension in 0..<dimensions { interest[dimension] *= interestScale }

        // The hot loop of the simulation: Float logits, dimension by dimension over contiguous
        // items (which the compiler vectorises), Float exponentials after subtracting the
        // maximum, Double sums.
        var base = tasteLogit
        base.withUnsafeMutableBufferPointer { base in
            catalogue.itemVectorsByDimension.withUnsafeBufferPointer { vectors in
                for dimension in 0..<dimensions {
                    let (weight, offset) = (interest[dimension], dimension &* items)
                    for item in 0..<items { base[item] += vectors[offset &+ item] * weight }
                }
            }
        }
        let maximum = base.max() ?? 0
        // Four running sums in a fixed order break the addition chain and keep the bytes.
        var partial: (Double, Double, Double, Double) = (0, 0, 0, 0)
        base.withUnsafeMutableBufferPointer { base in
            var item = 0
            while item &+ 4 <= items {
                base[item] = Foundation.exp(base[item] - maximum)
                base[item &+ 1] = Foundation.exp(base[item &+ 1] - maximum)
                base[item &+ 2] = Foundation.exp(base[item &+ 2] - maximum)
                base[item &+ 3] = Foundation.exp(base[item &+ 3] - maximum)
                partial.0 += Double(base[item])
                partial.1 += Double(base[item &+ 1])
                partial.2 += Double(base[item &+ 2])
                partial.3 += Double(base[item &+ 3])
                item &+= 4
            }
            while item < items {
                base[item] = Foundation.exp(base[item] - maximum)
                partial.0 += Double(base[item])
                item &+= 1
            }
        }
        let baseTotal = (partial.0 + partial.1) + (partial.2 + partial.3)

        let (reconsumption, reconsumptionShare) =
            knobs.reconsumption ? habitualItems(history, time: time) : ([], 0)
        let (returning, farShare) = knobs.farSimilar ? farCategories(history) : ([], 0)

        // Each entry is summed in Double and rounded once, except a re-consumed item's.
        var row = [Float](repeating: 0, count: items + 1)
        let baseShare = (1 - reconsumptionShare - farShare) / baseTotal
        row.withUnsafeMutableBufferPointer { row in
            if farShare > 0 {
                for item in 0..<items {
                    let returningShare =
                        returning[Int(catalogue.itemCategory[item])] * withinCategory[item]
                    row[item &+ 1] = Float(
                        baseShare * Double(base[item]) + farShare * returningShare)
                }
            } else {
                for item in 0..<items { row[item &+ 1] = Float(baseShare * Double(base[item])) }
            }
        }
        for (item, weight) in reconsumption {
            row[Int(item)] = Float(Double(row[Int(item)]) + reconsumptionShare * weight)
        }
        return row
    }

    /// The re-consumption component: per distinct past item, most recent first, its normalised
    /// weight `exp(−½((Δ − habit)/width)²)` with Δ the time since its last consumption, and the
    /// component's share `reconsumptionShare · max weight` (0 without history).
    private func habitualItems(_ history: ArraySlice<SequentialWorld.Event>, time: Int64) -> (
        [(item: Int32, weight: Double)], Double
    ) {
        // An array in history order, not a dictionary: the sums must not depend on hashing.
        var weights: [(item: Int32, weight: Double)] = []
        var seen = [Bool](repeating: false, count: catalogue.items + 1)
        let width = knobs.habitWidthDays * 86_400
        for event in history.reversed() where !seen[Int(event.item)] {
            seen[Int(event.item)] = true
            let offset = (Double(time - event.time) - profile.habitSeconds) / width
            weights.append((event.item, Foundation.exp(-0.5 * offset * offset)))
        }
        let total = weights.reduce(0) { $0 + $1.weight }
        let largest = weights.reduce(0) { Swift.max($0, $1.weight) }
        // An underflowed bump leaves no mass to spread.
        guard total > 0 else { return ([], 0) }
        return (weights.map { ($0.item, $0.weight / total) }, knobs.reconsumptionShare * largest)
    }

    /// The returning-interest component: the share of each category among the events at least
    /// `farBackSteps` back, and the component's share (`farShare`, or 0 when none lies so far).
    private func farCategories(_ history: ArraySlice<SequentialWorld.Event>) -> ([Double], Double) {
        let far = history.count - knobs.farBackSteps + 1
        guard far > 0 else { return ([], 0) }
        var shares = [Double](repeating: 0, count: knobs.categories)
        for event in history.prefix(far) {
            shares[Int(catalogue.itemCategory[Int(event.item) - 1])] += 1 / Double(far)
        }
        return (shares, knobs.farShare)
    }
}
