import Foundation
import FunnelTensor

extension SequentialUserModel {
    /// Simulates one user from its own generator: the profile, the sequence length and start,
    /// then per step the time (from the gap process alone) and the item (from the recorded
    /// distribution). Every step draws the same number of values whatever the knobs, so the
    /// mechanism switches change items only, never the timestamps.
    static func simulate(
        user: Int, seed: UInt64, catalogue: SequentialCatalogue, knobs: SequentialWorld.Knobs,
        into log: inout SequentialLog
    ) {
        var random = userGenerator(seed: seed, user: user)
        let profile = drawProfile(catalogue: catalogue, knobs: knobs, &random)
        let model = SequentialUserModel(profile: profile, catalogue: catalogue, knobs: knobs)
        let length =
            knobs.minimumLength
            + Int(random.next() % UInt64(knobs.maximumLength - knobs.minimumLength + 1))
        var time = SequentialWorld.epoch + Int64(unitDouble(&random) * 365 * 86_400)
        var events: [SequentialWorld.Event] = []
        events.reserveCapacity(length)
        var validation: [Float] = []
        for step in 0..<length {
            let gap = drawGap(knobs: knobs, &random)
            if step > 0 { time += gap }
            let row = model.distribution(history: events[...], time: time)
            events.append(SequentialWorld.Event(item: draw(row, &random), time: time))
            if step == length - 2 { validation = row }
            if step == length - 1 { log.testTruth.append(row) }
        }
        log.profiles.append(profile)
        log.events.append(events)
        log.validationTruth.append(validation)
    }

    /// A unit taste near the sum of a few category centres (noise as an item's around its
    /// centre) and a habitual interval log-normal around `habitDays`.
    static func drawProfile(
        catalogue: SequentialCatalogue, knobs: SequentialWorld.Knobs,
        _ random: inout RandomGenerator
    ) -> SequentialWorld.UserProfile {
        let dimensions = catalogue.latentDimensions
        let favourites = (0..<knobs.favouriteCategories).map { _ in
            Int(random.next() % UInt64(knobs.categories))
        }
        let spread = Float(knobs.itemSpread / Double(dimensions).squareRoot())
        let sum = (0..<dimensions).map { dimension in
            favourites.reduce(spread * random.nextNormal()) {
                $0 + catalogue.categoryCentres[$1 * dimensions + dimension]
            }
        }
        let taste = SequentialCatalogue.normalised(sum, dimensions)
        let habit =
            knobs.habitDays * 86_400
            * Foundation.exp(knobs.habitSpread * Double(random.nextNormal()))
        return SequentialWorld.UserProfile(
            favouriteCategories: favourites, taste: taste, habitSeconds: habit)
    }

    /// The seconds to the next event (at least 1): with probability 1/sessionLength a break,
    /// log-uniform between breakMinimumHours and breakMaximumDays, else an exponential gap
    /// within the session. Always three draws.
    static func drawGap(knobs: SequentialWorld.Knobs, _ random: inout RandomGenerator) -> Int64 {
        let opensSession = unitDouble(&random) < 1 / knobs.sessionLength
        let withinSession = -Foundation.log(1 - unitDouble(&random)) * knobs.sessionGapMinutes * 60
        let (shortest, longest) = (knobs.breakMinimumHours * 3_600, knobs.breakMaximumDays * 86_400)
        let pause =
            shortest * Foundation.exp(unitDouble(&random) * Foundation.log(longest / shortest))
        return Swift.max(1, Int64((opensSession ? pause : withinSession).rounded()))
    }

    /// An item drawn from `row` (index 0 has probability 0) with one 53-bit uniform value.
    static func draw(_ row: [Float], _ random: inout RandomGenerator) -> Int32 {
        let total = row.reduce(0.0) { $0 + Double($1) }
        let target = unitDouble(&random) * total
        var cumulative = 0.0
        var last = 1
        for item in 1..<row.count where row[item] > 0 {
            cumulative += Double(row[item])
            last = item
            if cumulative > target { return Int32(item) }
        }
        // Rounding can leave the target past the last sum.
        return Int32(last)
    }

    /// A uniform value in [0, 1) with 53 random bits.
    static func unitDouble(_ random: inout RandomGenerator) -> Double {
        Double(random.next() >> 11) * 0x1p-53
    }
}
