import Foundation
import FunnelData
import FunnelTensor

/// The sequential world as `funnel simulate sequential` writes it: each user's events split
/// leave-one-out into a sequence dataset (sequential.md §0.1, ``LeaveOneOutSequences``; item ids
/// are the world's own, 1 ... items), with the true next-item distribution of every validation
/// and test row recorded beside it (`truth-validation.f32`, `truth-test.f32`), so that ranking
/// metrics can be judged against the truth as well as against the drawn item. Beside them,
/// `item-vectors.csv` holds every item's observable content vector (`item,v1,…,vd` in id order:
/// the latent vector plus noise of norm ≈ `contentNoise`), the input of semantic-ID tokenisers
/// (sequential.md §4.1).
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
            let dataset = try sequences.write(
                to: directory, name: "sequential",
                source: "funnel simulate sequential --users \(users) --seed \(seed)", rankingTruth: truth)
            try writeContentVectors(world.catalogue, noise: knobs.contentNoise, seed: seed, to: directory + "/item-vectors.csv")
            return dataset
        }
    }

    /// Writes each item's latent vector plus Gaussian noise of expected norm `noise` (its own
    /// generator, so the knob leaves every user's draws unchanged), through a temporary file.
    static func writeContentVectors(_ catalogue: SequentialCatalogue, noise: Double, seed: UInt64, to path: String) throws {
        var random = RandomGenerator(seed: seed ^ 0xC0_47E7_7E57)
        let dimensions = catalogue.latentDimensions
        let scale = Float(noise / Double(dimensions).squareRoot())
        var text = "item," + (1...dimensions).map { "v\($0)" }.joined(separator: ",") + "\n"
        for item in 0..<catalogue.items {
            text += String(item + 1)
            for dimension in 0..<dimensions {
                let value = catalogue.itemVectors[item * dimensions + dimension] + scale * random.nextNormal()
                text += "," + String(value)
            }
            text += "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: path)
    }
}
