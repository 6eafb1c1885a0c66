import Foundation
import Testing

@testable import FunnelTraining

/// Target policies: the distribution file's format and refusals, the behaviour policy estimated
/// from a log, and the smoothed click-rate reward model.
@Suite struct TargetDistributionTests {
    /// Three rounds of a three-action campaign, at positions 1, 2 and 1.
    static let log = BanditLog(
        split: "random", campaign: "men", actions: [0, 2, 1], positions: [1, 2, 1], rewards: [1, 0, 0],
        propensities: [1.0 / 3, 1.0 / 3, 1.0 / 3])

    static func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "funnel-target-\(UUID().uuidString).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func read(_ text: String) throws -> TargetDistribution {
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try TargetDistribution.read(file: path, log: log, actionCount: 3)
    }

    /// Reads `text` and expects a refusal at `line` whose message holds every fragment.
    static func expectRefusal(_ text: String, line: Int?, _ fragments: [String]) throws {
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try TargetDistribution.read(file: path, log: log, actionCount: 3)
            Issue.record("accepted: \(text)")
        } catch let error as OffPolicyInputError {
            #expect(error.file == path && error.line == line, "\(error)")
            let location = line.map { "\(path):\($0): " } ?? "\(path): "
            #expect(error.description.hasPrefix(location), "\(error)")
            for fragment in fragments { #expect(error.description.contains(fragment), "\(error) lacks '\(fragment)'") }
        }
    }

    @Test func aFileGivesEachRoundItsLoggedPositionsDistribution() throws {
        let target = try Self.read(
            """
            round,action,position,probability
            0,0,1,0.5
            0,1,1,0.5
            0,2,2,1
            1,2,2,0.25
            1,0,2,0.75
            2,1,1,1.0
            """)
        #expect(target.probabilities == [0.5, 0.5, 0, 0.75, 0, 0.25, 0, 1, 0])
        #expect(target.loggedActionProbabilities(Self.log) == [0.5, 0.25, 1])
        // Σ_a π(a) · (action + 10·position): round 0: 0.5·10 + 0.5·11 = 10.5.
        #expect(target.expectations(Self.log) { Double($0 + 10 * $1) } == [10.5, 20.5, 11])
    }

    @Test func aDistributionThatDoesNotSumToOneIsRefusedWithTheRoundAndTheSum() throws {
        try Self.expectRefusal(
            "round,action,position,probability\n0,0,1,1\n1,2,2,0.5\n1,0,2,0.4\n2,1,1,1\n", line: 3,
            ["round 1", "position 2", "sum to 0.9", "expected 1"])
    }

    @Test(arguments: ["-0.1", "1.5", "nan", "x"])
    func aProbabilityOutsideTheUnitIntervalIsRefusedWithItsValue(value: String) throws {
        try Self.expectRefusal(
            "round,action,position,probability\n0,0,1,1\n1,2,2,\(value)\n", line: 3,
            ["probability '\(value)'", "[0, 1]"])
    }

    @Test func malformedRowsAreRefusedWhereTheyAre() throws {
        try Self.expectRefusal("round,action,probability\n", line: 1, ["header"])
        try Self.expectRefusal("round,action,position,probability\n0,0,1\n", line: 2, ["3 fields"])
        try Self.expectRefusal("round,action,position,probability\n3,0,1,1\n", line: 2, ["round '3'", "0..<3"])
        try Self.expectRefusal("round,action,position,probability\n0,3,1,1\n", line: 2, ["action '3'"])
        try Self.expectRefusal("round,action,position,probability\n0,0,4,1\n", line: 2, ["position '4'"])
        try Self.expectRefusal("round,action,position,probability\n0,0,1,0.5\n0,0,1,0.5\n", line: 3, ["given twice"])
        try Self.expectRefusal(
            "round,action,position,probability\n0,0,1,1\n1,0,2,1\n", line: nil, ["round 2", "logged position 1"])
    }

    @Test func theBehaviourPolicyIsTheMeanPropensityPerPositionNormalised() throws {
        // Position 1: action 0 shown twice (0.2, 0.4 → mean 0.3), action 1 once (0.1); normalised
        // 0.75, 0.25, 0. Position 2: only action 2, so probability 1.
        let behaviour = BanditLog(
            split: "bts", campaign: "men", actions: [0, 0, 1, 2], positions: [1, 1, 1, 2], rewards: [0, 0, 0, 0],
            propensities: [0.2, 0.4, 0.1, 0.6])
        let target = try TargetDistribution.behaviourPolicy(of: behaviour, for: Self.log, actionCount: 3)
        let expected: [Double] = [0.75, 0.25, 0, 0, 0, 1, 0.75, 0.25, 0]
        for (value, wanted) in zip(target.probabilities, expected) { #expect(abs(value - wanted) < 1e-12) }
        #expect(target.source.contains("normalised to sum to 1 per position"))
        let onlyPositionTwo = BanditLog(
            split: "bts", campaign: "men", actions: [2], positions: [2], rewards: [0], propensities: [0.6])
        #expect(throws: OffPolicyInputError.self) {
            try TargetDistribution.behaviourPolicy(of: onlyPositionTwo, for: Self.log, actionCount: 3)
        }
    }

    @Test func theRewardModelSmoothsEachCellTowardsItsPositionsRate() {
        // Position 1 shows actions 0 (1 click) and 1 (0 clicks): rate 1/2. With m = 2:
        // q̂(0, 1) = (1 + 2·0.5)/(1 + 2) = 2/3, q̂(1, 1) = (0 + 1)/3 = 1/3, q̂(2, 1) = 0.5 (unseen).
        // Position 2: one round, no click: q̂(2, 2) = 0, and every other action 0 too.
        let model = ClickRateRewardModel(log: Self.log, actionCount: 3, priorStrength: 2)
        #expect(abs(model.prediction(action: 0, position: 1) - 2.0 / 3) < 1e-12)
        #expect(abs(model.prediction(action: 1, position: 1) - 1.0 / 3) < 1e-12)
        #expect(model.prediction(action: 2, position: 1) == 0.5)
        #expect(model.prediction(action: 2, position: 2) == 0)
        #expect(model.loggedActionPredictions(Self.log).count == 3)
        // Without a prior the model is the raw click rate.
        #expect(ClickRateRewardModel(log: Self.log, actionCount: 3, priorStrength: 0).prediction(action: 0, position: 1) == 1)
    }
}
