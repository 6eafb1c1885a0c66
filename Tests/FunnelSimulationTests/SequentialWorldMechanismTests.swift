import Foundation
import Testing

@testable import FunnelSimulation

/// Each mechanism of the sequential world shows in the truth when its knob is on and leaves no
/// trace when it is off, on hand-made histories of one simulated user (the profile and the
/// catalogue do not depend on the mechanism knobs) and, for re-consumption, over a whole world.
@Suite struct SequentialWorldMechanismTests {
    typealias Event = SequentialWorld.Event
    static let day: Int64 = 86_400

    static func world(_ knobs: [String: String], users: Int = 1) throws -> SequentialWorld {
        try SequentialWorld.simulate(users: users, seed: 23, knobs: knobs)
    }

    static func largestDifference(_ first: [Float], _ second: [Float]) -> Float {
        zip(first, second).map { abs($0 - $1) }.max() ?? 0
    }

    /// The ids of the items of `category`.
    static func items(of category: Int, in world: SequentialWorld) -> [Int32] {
        world.catalogue.itemCategory.indices.filter { world.catalogue.itemCategory[$0] == category }
            .map { Int32($0 + 1) }
    }

    /// RoTE's premise: with the same items in the same order, the gaps change the truth only
    /// when the pull of the past decays with elapsed time.
    @Test(arguments: [
        (["reconsumption": "false", "farSimilar": "false"], true),
        ([:], true),
        (["timeDecay": "false", "reconsumption": "false"], false),
    ])
    func gapsChangeTheTruthOnlyWithTimeDecay(knobs: [String: String], timeMatters: Bool) throws {
        let world = try Self.world(knobs)
        let events = world.users[0]
        let history = events.dropLast()
        let (start, time) = (history.first!.time, events.last!.time)
        let truth = world.nextItemDistribution(user: 0, history: history, time: time)
        let shifted = history.map { Event(item: $0.item, time: $0.time - 10 * Self.day) }
        let stretched = history.map { Event(item: $0.item, time: start + 3 * ($0.time - start)) }
        let variants = [
            world.nextItemDistribution(user: 0, history: shifted[...], time: time),
            world.nextItemDistribution(
                user: 0, history: stretched[...], time: start + 3 * (time - start)),
        ]
        for variant in variants {
            if timeMatters {
                #expect(Self.largestDifference(truth, variant) > 1e-3)
            } else {
                #expect(truth == variant)
            }
        }
    }

    /// An item consumed once, exactly one habitual interval before the step, is re-consumed
    /// with about `reconsumptionShare` more probability; without re-consumption the time since
    /// it makes no difference (time decay off, so nothing else reads the times).
    @Test func reconsumptionBoostsAnItemAtTheHabitualIntervalOnlyWhenOn() throws {
        var atHabit: [Float] = []
        for reconsumption in [true, false] {
            let world = try Self.world(["reconsumption": "\(reconsumption)", "timeDecay": "false"])
            let habit = Int64(world.profiles[0].habitSeconds.rounded())
            let start = SequentialWorld.epoch
            // Item 1 once, then a session of other items ending shortly before the step.
            let session = (2...13).map {
                Event(item: Int32($0), time: start + habit - 3 * 3_600 + Int64($0) * 300)
            }
            let history = [Event(item: 1, time: start)] + session
            let earlier = [Event(item: 1, time: start - 3 * Self.day)] + session
            let truth = world.nextItemDistribution(
                user: 0, history: history[...], time: start + habit)
            let awayFromHabit = world.nextItemDistribution(
                user: 0, history: earlier[...], time: start + habit)
            atHabit.append(truth[1])
            if reconsumption {
                #expect(
                    truth[1] > awayFromHabit[1] + 0.25,
                    "\(truth[1]) at the habit, \(awayFromHabit[1]) 3 days later")
            } else {
                #expect(truth == awayFromHabit)
            }
        }
        #expect(atHabit[0] > atHabit[1] + 0.25, "\(atHabit)")
    }

    /// Over a world, repeats cluster at the users' habitual intervals only with re-consumption.
    @Test func repeatsClusterAtTheHabitOnlyWithReconsumption() throws {
        var shares: [Double] = []
        for reconsumption in [true, false] {
            let world = try Self.world(["reconsumption": "\(reconsumption)"], users: 300)
            var (repeats, nearHabit) = (0, 0)
            for (user, events) in world.users.enumerated() {
                var last: [Int32: Int64] = [:]
                for event in events {
                    if let previous = last[event.item] {
                        repeats += 1
                        let elapsed = Double(event.time - previous)
                        if abs(elapsed - world.profiles[user].habitSeconds) < world.knobs
                            .habitWidthDays * 86_400
                        {
                            nearHabit += 1
                        }
                    }
                    last[event.item] = event.time
                }
            }
            shares.append(Double(nearHabit) / Double(repeats))
        }
        #expect(
            shares[0] > 2 * shares[1],
            "share of repeats within a habit width of the habit, on and off: \(shares)")
    }

    /// CAPE's premise: a category seen only far back keeps its pull on the next item, however far
    /// back it lies; without returning interests it has none (it is 60 days and 25 events old).
    @Test(arguments: [true, false])
    func farBackCategoriesPullOnlyWhenOn(farSimilar: Bool) throws {
        let world = try Self.world(["farSimilar": "\(farSimilar)"])
        let favourite = world.profiles[0].favouriteCategories[0]
        let returning = (0..<world.knobs.categories).first {
            !world.profiles[0].favouriteCategories.contains($0)
        }!
        let (old, recent) = (
            Self.items(of: returning, in: world), Self.items(of: favourite, in: world)
        )
        let start = SequentialWorld.epoch
        let recentSession = (0..<25).map {
            Event(item: recent[5 + $0], time: start + 60 * Self.day + Int64($0) * 300)
        }
        let time = start + 60 * Self.day + 25 * 300
        func mass(_ farItems: [Int32]) -> Double {
            let history =
                farItems.enumerated().map { Event(item: $1, time: start + Int64($0) * 300) }
                + recentSession
            let truth = world.nextItemDistribution(user: 0, history: history[...], time: time)
            return old.reduce(0.0) { $0 + Double(truth[Int($1)]) }
        }
        let difference = mass(Array(old.prefix(5))) - mass(Array(recent.prefix(5)))
        if farSimilar {
            // farShare · 5 of the 21 events at least 10 back.
            #expect(
                difference > 0.8 * world.knobs.farShare * 5 / 21,
                "pull of the far-back category: \(difference)")
        } else {
            #expect(abs(difference) < 1e-5, "pull of the far-back category: \(difference)")
        }
    }
}
