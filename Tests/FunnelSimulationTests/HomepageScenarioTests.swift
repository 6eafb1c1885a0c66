import Foundation
import FunnelData
import FunnelMetrics
import Testing

@testable import FunnelSimulation

/// The homepage world's biases and labels, each measured on the first worlds
/// (``HomepageScenario/firstWorlds``) with the named knobs changed: the mechanisms of issue 15
/// have tests of their own (`HomepageWorldUserTests`, `HomepagePolicyTests`).
@Suite struct HomepageScenarioTests {
    private func simulate(_ knobs: [String: String] = [:], users: Int = 3_000, days: Int = 8, seed: UInt64 = 7) throws -> (TemporaryFolder, Dataset) {
        let folder = try TemporaryFolder()
        let world = try ScenarioKind.homepage.simulate(
            users: users, days: days, seed: seed, knobs: HomepageScenario.firstWorlds.merging(knobs) { $1 })
        try world.write(to: folder.path)
        return (folder, try Dataset.load(folder.path))
    }

    @Test func sameSeedSameBytes() throws {
        let bytes = try writtenBytes(.homepage, users: 500, days: 8, seeds: [7, 7, 8])
        #expect(bytes[0] == bytes[1])
        #expect(bytes[0] != bytes[2])
    }

    /// y = 1 ⇒ y_b = 1 ⇒ y_p = 1; the sequence holds the 30 days before the day (its last token is
    /// the previous day's outcome, never the day itself); r_p agrees with the last 7 tokens.
    @Test func invariantsHoldOnEveryRow() throws {
        let (_, dataset) = try simulate()
        let userDay = try #require(dataset.sideTables["user-day"])
        let portal = userDay.column("portal_visit")!.values.floats!
        let block = userDay.column("block_click")!.values.floats!
        let recent = userDay.column("recent_portal")!.values.floats!
        let users = userDay.column("user")!.values.ids!
        let days = userDay.column("day")!.values.integers!
        guard case .lists(let tokens, let offsets) = userDay.column("intent_sequence")!.values else {
            Issue.record("intent_sequence is not a list")
            return
        }
        var previous: [Int32: (day: Int64, token: Int32)] = [:]
        for row in 0..<userDay.rowCount {
            #expect(block[row] <= portal[row], "y_b = 1 must imply y_p = 1 (row \(row))")
            let start = Int(offsets[row])
            #expect(Int(offsets[row + 1]) - start == 30)
            let sequence = (start..<start + 30).map { tokens[$0] }
            #expect(sequence.allSatisfy { (1...3).contains($0) })
            #expect(recent[row] == (sequence.suffix(7).contains { $0 >= 2 } ? 1 : 0))
            if let last = previous[users[row]], last.day == days[row] - 1 {
                #expect(sequence.last == last.token, "the sequence ends with the day before, not the day itself")
            }
            previous[users[row]] = (days[row], block[row] > 0 ? 3 : (portal[row] > 0 ? 2 : 1))
        }
        for split in ["train", "test"] {
            let table = try dataset.split(split)
            let clicks = table.column("click")!.values.floats!
            let join = table.joins["user-day"]!
            for row in 0..<table.rowCount {
                #expect(join[row] >= 0)
                if clicks[row] > 0 { #expect(block[Int(join[row])] == 1, "a click is a block click") }
            }
        }
    }

    /// Rows' observed click rate against the truth: a logistic model on (item, segment, position)
    /// trained on the clicks and one trained on labels drawn from `interest_probability`.
    private func models(_ knobs: [String: String]) throws -> (observed: Double, truth: Double, agreement: Double) {
        let (_, dataset) = try simulate(knobs, users: 6_000)
        let train = try dataset.split("train")
        let items = train.column("item")!.values.ids!
        let positions = train.column("position")!.values.ids!
        let clicks = train.column("click")!.values.floats!.array
        let interest = train.column("interest_probability")!.values.floats!.array
        let ids = (0..<train.rowCount).flatMap { [items[$0], positions[$0]] }
        let drawn = TruthEvaluation.drawLabels(interest.map(Double.init), seed: 11).map(Float.init)
        let sizes = [dataset.vocabulary(for: "item")!.size, 2]
        let onLabels = LogisticModel(vocabularySizes: sizes, ids: ids, labels: clicks).probabilities(ids, fields: 2)
        let onTruth = LogisticModel(vocabularySizes: sizes, ids: ids, labels: drawn).probabilities(ids, fields: 2)
        // How well each model ranks by the true interest: close when the labels are unbiased.
        let truth = interest.map(Double.init)
        let labelsCorrelation = try TruthEvaluation(scores: onLabels.map(Double.init), trueProbabilities: truth).correlation
        let truthCorrelation = try TruthEvaluation(scores: onTruth.map(Double.init), trueProbabilities: truth).correlation
        return (mean(onLabels), mean(onTruth), labelsCorrelation - truthCorrelation)
    }

    @Test func withBothBiasesOffLabelsAndTruthAgree() throws {
        let result = try models(["attentionBias": "false", "portalDrivenClicks": "false"])
        #expect(Swift.abs(result.observed / result.truth - 1) < 0.05, "\(result)")
        #expect(Swift.abs(result.agreement) < 0.1, "\(result)")
    }

    /// The same with the new mechanisms on (a personalised policy, attention that follows intent,
    /// portal clicks drawn to the badge, informative categories): with both biases off they
    /// change what is shown, not what a click means.
    @Test func withBothBiasesOffTheNewMechanismsLeaveLabelsUnbiased() throws {
        let result = try models([
            "attentionBias": "false", "portalDrivenClicks": "false", "personalisedPolicy": "true",
            "intentDrivenAttention": "true", "displayedPortalChoice": "true", "informativeCategories": "true",
        ])
        #expect(Swift.abs(result.observed / result.truth - 1) < 0.05, "\(result)")
        #expect(Swift.abs(result.agreement) < 0.1, "\(result)")
    }

    /// Pseudo-negatives: unlooked blocks make the observed click rate underestimate interest.
    @Test func attentionBiasMakesLabelsUnderestimate() throws {
        let result = try models(["portalDrivenClicks": "false"])
        #expect(result.observed / result.truth < 0.8, "\(result)")
    }

    /// Pseudo-positives: clicks made only to reach the portal make labels overestimate interest.
    @Test func portalClicksMakeLabelsOverestimate() throws {
        let result = try models(["attentionBias": "false"])
        #expect(result.observed / result.truth > 1.2, "\(result)")
    }

    /// Informative categories: the category means explain a large share of the items' trait
    /// variance (by chance, 50 categories over 2,000 items explain about 2.5 %).
    @Test func informativeCategoriesTellTheTraits() throws {
        func explained(_ overrides: [String: String]) throws -> Double {
            let knobs = HomepageScenario.firstWorlds.merging(overrides) { $1 }
            let world = HomepageWorld(seed: 7, knobs: try KnobParser.apply(knobs, to: HomepageScenario.Knobs()))
            let (dimensions, categories) = (world.knobs.latentDimensions, world.knobs.itemCategories)
            var sums = [Double](repeating: 0, count: categories * dimensions)
            var counts = [Double](repeating: 0, count: categories)
            for item in 0..<world.knobs.items {
                let category = Int(world.itemCategory[item])
                counts[category] += 1
                for d in 0..<dimensions { sums[category * dimensions + d] += Double(world.itemTraits[item * dimensions + d]) }
            }
            var total = 0.0
            var residual = 0.0
            for item in 0..<world.knobs.items {
                let category = Int(world.itemCategory[item])
                for d in 0..<dimensions {
                    let value = Double(world.itemTraits[item * dimensions + d])
                    total += value * value
                    let deviation = value - sums[category * dimensions + d] / counts[category]
                    residual += deviation * deviation
                }
            }
            return 1 - residual / total
        }
        #expect(try explained(["informativeCategories": "true"]) > 0.3)
        #expect(try explained([:]) < 0.06)
    }

    @Test func unknownKnobIsRefusedByName() {
        #expect {
            try ScenarioKind.homepage.simulate(users: 10, days: 4, seed: 1, knobs: ["attentionBiass": "false"])
        } throws: { error in
            "\(error)".contains("unknown knob 'attentionBiass'")
        }
        #expect {
            try ScenarioKind.homepage.simulate(users: 10, days: 4, seed: 1, knobs: ["items": "many"])
        } throws: { error in
            "\(error)".contains("knob 'items'")
        }
    }
}
