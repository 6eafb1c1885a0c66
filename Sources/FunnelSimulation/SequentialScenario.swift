import Foundation
import FunnelData

/// The sequential world as `funnel simulate sequential` writes it: each user's events split
/// leave-one-out into a sequence dataset (sequential.md §0.1, ``LeaveOneOutSequences``; item ids
/// are the world's own, 1 ... items), with the true next-item distribution of every validation
/// and test row recorded beside it (`truth-validation.f32`, `truth-test.f32`), so that ranking
/// metrics can be judged against the truth as well as against the drawn item.
public enum SequentialScenario {
    /// Simulates `users` users and lays the world out as a sequence dataset in memory.
    public static func simulate(users: Int, seed: UInt64, knobs: SequentialWorld.Knobs) throws -> SimulatedWorld {
        let world = try SequentialWorld.simulate(users: users, seed: seed, knobs: knobs)
        let interactions = world.users.enumerated().flatMap { user, events in
            events.map { LeaveOneOutSequences.Interaction(user: Int64(user), item: Int64($0.item), time: $0.time) }
        }
        let sequences = try LeaveOneOutSequences(interactions: interactions, itemIDs: .identity(size: knobs.items + 1))
        var truth: [String: [Float]] = [:]
        for (split, perUser) in [(LeaveOneOutSequences.Split.validation, world.validationTruth), (.test, world.testTruth)] {
            truth[split.rawValue] = sequences.rows(split).flatMap { perUser[Int($0.user)] }
        }
        let rows = LeaveOneOutSequences.Split.allCases.map { "\($0.rawValue) \(sequences.rows($0).count)" }
        return SimulatedWorld(
            summary: "\(interactions.count) interactions of \(users) users over \(knobs.items) items (\(rows.joined(separator: ", ")) rows)",
            rowCount: interactions.count
        ) { directory in
            try sequences.write(
                to: directory, name: "sequential",
                source: "funnel simulate sequential --users \(users) --seed \(seed)", rankingTruth: truth)
        }
    }
}
