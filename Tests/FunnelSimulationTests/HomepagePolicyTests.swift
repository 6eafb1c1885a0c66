import Foundation
import FunnelData
import FunnelTensor
import Testing

@testable import FunnelSimulation

/// The homepage block's exposure policy: by popularity (the first worlds), or personalised by a
/// ranker's stale, noisy estimate of the user's taste with exploration, its propensity recorded.
/// Knobs are changed from the first worlds (``HomepageScenario/firstWorlds``).
@Suite struct HomepagePolicyTests {
    private func world(_ overrides: [String: String]) throws -> HomepageWorld {
        HomepageWorld(seed: 7, knobs: try KnobParser.apply(HomepageScenario.firstWorlds.merging(overrides) { $1 }, to: HomepageScenario.Knobs()))
    }

    /// The recorded propensity is what the draws do: 200,000 draws of one user's policy against
    /// each item's probability per draw, and exploration's floor under every item.
    @Test func propensityIsTheDrawFrequency() throws {
        let world = try world(["personalisedPolicy": "true"])
        var random = RandomGenerator(seed: 3)
        let taste = (0..<world.knobs.latentDimensions).map { _ in random.nextNormal() }
        let policy = world.policy(for: 5, taste: taste)
        var counts = [Int](repeating: 0, count: world.knobs.items)
        let draws = 200_000
        for _ in 0..<draws { counts[policy.drawItem(&random, afterShift: false)] += 1 }
        let propensities = (0..<world.knobs.items).map { policy.propensity(of: $0, afterShift: false)! }
        #expect(Swift.abs(propensities.reduce(0, +) - 1) < 1e-4)
        let floor = Float(world.knobs.policyExploration / Double(world.knobs.items))
        #expect(propensities.allSatisfy { $0 >= floor * 0.999 })
        // The ten most likely items: frequencies within four standard errors of the propensities.
        for item in propensities.indices.sorted(by: { propensities[$0] > propensities[$1] }).prefix(10) {
            let expected = Double(propensities[item])
            let error = (expected * (1 - expected) / Double(draws)).squareRoot()
            #expect(Swift.abs(Double(counts[item]) / Double(draws) - expected) < 4 * error, "item \(item)")
        }
        #expect(world.policy(for: 5, taste: taste).propensity(of: 0, afterShift: false) == propensities[0], "seeded per user")
        #expect(try self.world([:]).policy(for: 5, taste: taste).propensity(of: 0, afterShift: false) == nil)
    }

    /// Users are shown what the ranker believes they like: the exposures' mean true interest
    /// rises over the popularity policy's, for the same users and items.
    @Test func personalisedExposureCarriesSelection() throws {
        func exposures(_ overrides: [String: String]) throws -> (interest: Double, table: Table) {
            let table = try #require(
                try ScenarioKind.homepage.simulate(
                    users: 2_000, days: 6, seed: 7, knobs: HomepageScenario.firstWorlds.merging(overrides) { $1 }
                ).splits["train"])
            return (mean(table.column("interest_probability")!.values.floats!.array), table)
        }
        let popularity = try exposures([:])
        let personalised = try exposures(["personalisedPolicy": "true"])
        #expect(personalised.interest > popularity.interest * 1.3, "\(personalised.interest) against \(popularity.interest)")
        #expect(popularity.table.column("exposure_propensity") == nil)
        let propensities = try #require(personalised.table.column("exposure_propensity")?.values.floats).array
        #expect(propensities.count == personalised.table.rowCount && propensities.allSatisfy { $0 > 0 && $0 <= 1 })
    }
}
