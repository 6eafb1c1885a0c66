import Foundation
import Testing

@testable import FunnelMetrics

@Suite struct GradedRankingTests {
    // watchtime.md §0.4 test oracle.
    @Test func relevantItemFirst() throws {
        #expect(try Metrics.ndcg(labelsInPredictedOrder: [1.0, 0, 0], cutoff: 1) == 1)
        #expect(try Metrics.reciprocalRank(labelsInPredictedOrder: [1.0, 0, 0]) == 1)
    }

    @Test func relevantItemSecond() throws {
        let ndcg = try Metrics.ndcg(labelsInPredictedOrder: [Float(0), 1, 0], cutoff: 3)
        expectClose(ndcg, 1 / log2(3.0), relative: 1e-15)
        #expect(abs(ndcg - 0.6309) < 5e-5)
        #expect(try Metrics.reciprocalRank(labelsInPredictedOrder: [0.0, 1, 0]) == 0.5)
        #expect(try Metrics.ndcg(labelsInPredictedOrder: [0.0, 1, 0], cutoff: 1) == 0)
    }

    @Test func userWithoutPositivesCountsZeroInNDCGAndNothingInGAUC() throws {
        let scores: [Double] = [0.9, 0.2, 0.5, 0.7, 0.4]
        let labels: [Double] = [1, 0, 0, 0, 0]
        let users = ["a", "a", "a", "b", "b"]
        #expect(try Metrics.ndcg(labelsInPredictedOrder: [0.0, 0], cutoff: 5) == 0)
        #expect(
            try Metrics.meanNDCG(scores: scores, labels: labels, groups: users, cutoff: 1) == 0.5)
        #expect(
            try Metrics.meanReciprocalRank(scores: scores, labels: labels, groups: users) == 0.5)
        let gauc = try GroupedAUC(
            scores: scores, labels: labels, groups: users, weighting: .uniform)
        #expect(gauc.value == 1 && gauc.groupsUsed == 1 && gauc.groupsDropped == 1)
    }

    @Test func gradedGainsAreExponential() throws {
        let dcg = 7 + 3 / log2(3.0) + 1 / log2(5.0)
        let ideal = 7 + 3 / log2(3.0) + 1 / log2(4.0)
        let ndcg = try Metrics.ndcg(labelsInPredictedOrder: [3.0, 2, 0, 1], cutoff: 4)
        expectClose(ndcg, dcg / ideal, relative: 1e-14)
        #expect(try Metrics.ndcg(labelsInPredictedOrder: [Double](), cutoff: 3) == 0)
    }

    @Test func tiedScoresKeepTheirInputOrder() throws {
        #expect(try Metrics.ndcg(scores: [0.5, 0.5], labels: [0.0, 1], cutoff: 1) == 0)
        #expect(try Metrics.ndcg(scores: [0.5, 0.5], labels: [1.0, 0], cutoff: 1) == 1)
        #expect(try Metrics.ndcg(scores: [0.1, 0.5], labels: [0.0, 1], cutoff: 1) == 1)
        #expect(
            try Metrics.reciprocalRank(scores: [0.5, 0.5, 0.9], labels: [0.0, 1, 0]) == 1.0 / 3)
    }

    @Test func matchesAPerUserLoop() throws {
        let graded = try ReferenceFixture.load().graded
        for (cutoff, expected) in zip(graded.cutoffs, graded.expected.meanNDCG) {
            let ndcg = try Metrics.meanNDCG(
                scores: graded.scores, labels: graded.labels, groups: graded.groups, cutoff: cutoff)
            expectClose(ndcg, expected)
        }
        expectClose(
            try Metrics.meanReciprocalRank(
                scores: graded.scores, labels: graded.labels, groups: graded.groups),
            graded.expected.meanReciprocalRank)
    }

    @Test func malformedInputThrows() {
        #expect(throws: MetricError.self) {
            try Metrics.ndcg(labelsInPredictedOrder: [1.0], cutoff: 0)
        }
        #expect(throws: MetricError.self) {
            try Metrics.ndcg(labelsInPredictedOrder: [-1.0], cutoff: 1)
        }
        #expect(throws: MetricError.emptyInput(metric: "nDCG")) {
            try Metrics.meanNDCG(scores: [Double](), labels: [Double](), groups: [Int](), cutoff: 1)
        }
        #expect(throws: MetricError.self) {
            try Metrics.meanNDCG(scores: [0.1], labels: [1.0], groups: [1, 2], cutoff: 1)
        }
    }
}
