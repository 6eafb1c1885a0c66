import Foundation
import Testing

@testable import FunnelMetrics

@Suite struct GroupedTopKTests {
    // Rows of four users, interleaved: a (positives at 0-based ranks 1 and 3), b (a positive
    // first), c (every score tied: input order puts its positive at rank 2), d (no positive).
    static let users = ["a", "b", "c", "a", "d", "c", "a", "b", "c", "a", "d"]
    static let scores: [Double] = [0.9, 0.5, 0.3, 0.8, 0.4, 0.3, 0.7, 0.1, 0.3, 0.6, 0.2]
    static let labels: [Double] = [0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0]

    @Test func handExampleAtFiveAndTwo() throws {
        let result = try GroupedTopK(scores: Self.scores, labels: Self.labels, groups: Self.users, cutoffs: [5, 2])
        let third = 1 / log2(3.0)
        let userA5 = (third + 1 / log2(5.0)) / (1 + third)
        expectNear(try #require(result.ndcg[5]), (userA5 + 1 + 0.5) / 3)
        expectNear(try #require(result.recall[5]), 1)
        let userA2 = third / (1 + third)
        expectNear(try #require(result.ndcg[2]), (userA2 + 1 + 0) / 3)
        expectNear(try #require(result.recall[2]), (0.5 + 1 + 0) / 3)
        #expect(result.users == 3)
        #expect(result.usersWithoutPositives == 1)
    }

    @Test func aPositiveAtRankZeroGivesOne() throws {
        let result = try GroupedTopK(scores: [0.2, 0.9, 0.1], labels: [0.0, 1, 0], groups: [7, 7, 7], cutoffs: [1])
        #expect(result.ndcg[1] == 1 && result.recall[1] == 1)
    }

    @Test func noUserWithAPositiveIsRefused() {
        #expect(throws: MetricError.noUsableGroup(metric: "grouped top-K", groups: 2, reason: "no group has a positive label")) {
            try GroupedTopK(scores: [0.1, 0.2], labels: [0.0, 0], groups: [1, 2], cutoffs: [5])
        }
    }

    @Test func badInputsAreRefused() {
        #expect(throws: MetricError.invalidLabel(metric: "grouped top-K", index: 1, value: 3, expected: "0 or 1")) {
            try GroupedTopK(scores: [0.1, 0.2], labels: [1.0, 3], groups: [1, 1], cutoffs: [5])
        }
        #expect(throws: MetricError.invalidArgument(metric: "grouped top-K", message: "expected every cutoff K >= 1, got 0")) {
            try GroupedTopK(scores: [0.1], labels: [1.0], groups: [1], cutoffs: [0])
        }
    }

    private func expectNear(_ value: Double, _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(value - expected) < 1e-12, "\(value) vs \(expected)", sourceLocation: sourceLocation)
    }
}
