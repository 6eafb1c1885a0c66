import Foundation
import FunnelTensor
import Testing

@testable import FunnelSimulation

/// The sequential world: reproducible, its recorded truths are distributions the events were
/// drawn from, and each mechanism (time decay, habitual re-consumption, far-back returning
/// interests) shows in the truth when on and is gone when off.
@Suite struct SequentialWorldTests {
    typealias Event = SequentialWorld.Event

    static func simulate(users: Int = 200, seed: UInt64 = 11, _ knobs: [String: String] = [:])
        throws -> SequentialWorld
    {
        try SequentialWorld.simulate(users: users, seed: seed, knobs: knobs)
    }

    @Test func sameSeedGivesIdenticalEventsAndTruthsOnAnyThreadCountAndAnotherSeedDoesNot() throws {
        let first = try Self.simulate(users: 60)
        let second = try Compute.withThreads(2) { try Self.simulate(users: 60) }
        let other = try Self.simulate(users: 60, seed: 12)
        #expect(first.users == second.users)
        #expect(first.validationTruth == second.validationTruth)
        #expect(first.testTruth == second.testTruth)
        #expect(first.profiles == second.profiles)
        #expect(first.users != other.users)
    }

    @Test func sequencesAndTruthRowsAreWellFormed() throws {
        let world = try Self.simulate()
        let knobs = world.knobs
        var failures: [String] = []
        for (user, events) in world.users.enumerated() where failures.count < 5 {
            let length = events.count
            let times = events.map(\.time)
            let issues = [
                (knobs.minimumLength...knobs.maximumLength).contains(length)
                    ? nil : "length \(length)",
                events.allSatisfy({ (1...Int32(knobs.items)).contains($0.item) })
                    ? nil : "item out of range",
                times.first! >= SequentialWorld.epoch
                    && zip(times, times.dropFirst()).allSatisfy({ $0 <= $1 })
                    ? nil : "timestamps not monotone from the epoch",
                world.validationTruth[user] == world.truth(user: user, step: length - 2)
                    ? nil : "validation truth not recomputed",
                world.testTruth[user] == world.truth(user: user, step: length - 1)
                    ? nil : "test truth not recomputed",
            ]
            failures += issues.compactMap { $0.map { "user \(user): \($0)" } }
            for row in [world.validationTruth[user], world.testTruth[user]] {
                let sum = row.reduce(0.0) { $0 + Double($1) }
                if row.count != knobs.items + 1 || row[0] != 0 || row.contains(where: { $0 < 0 })
                    || abs(sum - 1) > 1e-4
                {
                    failures.append(
                        "user \(user): truth row of \(row.count) entries, row[0] = \(row[0]), sum \(sum)"
                    )
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        // Sessions minutes apart and breaks of hours to weeks: order and elapsed time disagree.
        let gaps = world.users.flatMap { events in
            zip(events, events.dropFirst()).map { $1.time - $0.time }
        }
        let withinHour = Double(gaps.filter { $0 < 3_600 }.count) / Double(gaps.count)
        let overDay = Double(gaps.filter { $0 > 86_400 }.count) / Double(gaps.count)
        #expect(withinHour > 0.7 && withinHour < 0.9, "share of gaps under an hour: \(withinHour)")
        #expect(overDay > 0.08 && overDay < 0.15, "share of gaps over a day: \(overDay)")
    }

    @Test func eventsAreDrawnFromTheRecordedTruth() throws {
        let world = try Self.simulate(users: 400)
        let drawn = world.users.indices.map {
            Double(world.testTruth[$0][Int(world.users[$0].last!.item)])
        }
        let meanTruth = drawn.reduce(0, +) / Double(drawn.count)
        #expect(
            meanTruth > 10 / Double(world.knobs.items),
            "mean true probability of the test item: \(meanTruth)")

        // Pearson's statistic of the test items against the summed truths, on a small catalogue.
        let small = try Self.simulate(
            users: 3_000, seed: 3,
            ["items": "30", "categories": "5", "minimumLength": "3", "maximumLength": "10"])
        var expected = [Double](repeating: 0, count: 31)
        var observed = [Double](repeating: 0, count: 31)
        for user in small.users.indices {
            for item in 1...30 { expected[item] += Double(small.testTruth[user][item]) }
            observed[Int(small.users[user].last!.item)] += 1
        }
        let cells = (1...30).filter { expected[$0] >= 5 }
        let statistic = cells.reduce(0.0) {
            $0 + pow(observed[$1] - expected[$1], 2) / expected[$1]
        }
        let freedom = Double(cells.count - 1)
        #expect(cells.count > 20)
        #expect(
            statistic < freedom + 5 * (2 * freedom).squareRoot(),
            "χ² = \(statistic) on \(freedom) degrees of freedom")
    }

    @Test func knobsParseAndEveryKnobIsDocumented() throws {
        #expect(
            try SequentialWorld.Knobs(overrides: ["timeDecay": "false", "decayHours": "12"])
                .timeDecay == false)
        #expect(throws: KnobParser.KnobError.self) {
            try SequentialWorld.Knobs(overrides: ["timeDecays": "false"])
        }
        #expect(throws: KnobParser.KnobError.self) {
            try Self.simulate(users: 1, ["minimumLength": "2"])
        }
        let names = Mirror(reflecting: SequentialWorld.Knobs()).children.compactMap(\.label)
        #expect(names == SequentialWorld.Knobs.documentation.map(\.name))
    }
}
