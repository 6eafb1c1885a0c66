import Foundation
import Testing

@testable import FunnelMetrics

@Suite struct ItemRankingTests {
    // sequential.md §0.3 test oracle.
    @Test func targetRankedFirst() throws {
        let ranking = try ItemRanking(scores: [0.9, 0.5, 0.1], target: 0)
        #expect(ranking.rank == 1)
        #expect(ranking.ndcg(at: 10) == 1 && ranking.hitRatio(at: 10) == 1)
        #expect(ranking.reciprocalRank() == 1)
    }

    @Test func targetWithTwoItemsAbove() throws {
        let ranking = try ItemRanking(scores: [Float(0.3), 0.9, 0.8, 0.1], target: 0)
        #expect(ranking.rank == 3)
        #expect(ranking.ndcg(at: 10) == 0.5)
        expectClose(ranking.reciprocalRank(at: 10), 1.0 / 3.0, relative: 1e-15)
        #expect(ranking.hitRatio(at: 2) == 0 && ranking.hitRatio(at: 3) == 1)
    }

    @Test func targetAtRankTenMissesTheTopTen() throws {
        let ranking = try ItemRanking(scores: [0] + [Double](repeating: 1, count: 10), target: 0)
        #expect(ranking.hitRatio(at: 10) == 0 && ranking.ndcg(at: 10) == 0)
        #expect(ranking.reciprocalRank(at: 10) == 0)
        #expect(ranking.hitRatio(at: 11) == 1)
        expectClose(ranking.ndcg(at: 11), 1 / log2(12.0), relative: 1e-15)
    }

    @Test func allTiedRanksTheTargetFirstByDefault() throws {
        let scores = [Double](repeating: 0.5, count: 8)
        #expect(try ItemRanking(scores: scores, target: 3).rank == 1)
        let pessimistic = try ItemRanking(scores: scores, target: 3, tieBreaking: .pessimistic)
        #expect(pessimistic.rank == 8 && pessimistic.hitRatio(at: 5) == 0)
        let expected = try ItemRanking(scores: scores, target: 3, tieBreaking: .expected)
        #expect(expected.rank == 4.5 && expected.hitRatio(at: 5) == 5.0 / 8.0)
    }

    @Test func expectedTieBreakingAveragesOverTiedPositions() throws {
        // One item above; the target ties with three others, so r is 1, 2, 3 or 4.
        let ranking = try ItemRanking(
            scores: [0.4, 0.9, 0.4, 0.4, 0.4, 0.1], target: 0, tieBreaking: .expected)
        #expect(ranking.rank == 3.5)
        #expect(ranking.hitRatio(at: 2) == 0.25)
        let ndcg = (2...5).map { 1 / log2(Double($0 + 1)) }.reduce(0, +) / 4
        expectClose(ranking.ndcg(at: 10), ndcg, relative: 1e-14)
        expectClose(
            ranking.reciprocalRank(), (1.0 / 2 + 1.0 / 3 + 1.0 / 4 + 1.0 / 5) / 4, relative: 1e-14)
    }

    @Test func excludedItemsLeaveTheRankingButTargetsStay() throws {
        let scores: [Double] = [0.5, 0.9, 0.8, 0.1]
        let one = try ItemRanking(scores: scores, target: 0, excluding: [1])
        #expect(one.rank == 2 && one.candidateCount == 3)
        #expect(try ItemRanking(scores: scores, target: 0, excluding: [1, 2, 2]).rank == 1)
        let history = try ItemRanking(scores: scores, target: 0, excluding: [0, 1])
        #expect(history.rank == 2 && history.candidateCount == 3)
    }

    @Test func severalTargets() throws {
        let ranking = try ItemRanking(scores: [0.9, 0.8, 0.7, 0.1], targets: [0, 2])
        #expect(ranking.targetCount == 2 && ranking.hitRatio(at: 1) == 1)
        #expect(ranking.recall(at: 1) == 0.5 && ranking.recall(at: 3) == 1)
        expectClose(ranking.ndcg(at: 3), (1 + 1 / log2(4.0)) / (1 + 1 / log2(3.0)), relative: 1e-15)
        #expect(ranking.ndcg(at: 1) == 1)
    }

    @Test func firstOfTwoTiedTargetsUnderExpectedTieBreaking() throws {
        // Two targets among four tied items: the first sits at 0, 1, 2 w.p. 1/2, 1/3, 1/6.
        let ranking = try ItemRanking(
            scores: [0.5, 0.5, 0.5, 0.5, 0.1], targets: [1, 3], tieBreaking: .expected)
        expectClose(ranking.rank, 1 + 2.0 / 3.0, relative: 1e-15)
        #expect(ranking.hitRatio(at: 1) == 0.5)
        expectClose(ranking.reciprocalRank(), 0.5 + 1.0 / 6 + 1.0 / 18, relative: 1e-14)
        expectClose(ranking.recall(at: 2), 0.5, relative: 1e-15)
    }

    @Test(arguments: ItemRanking.TieBreaking.allCases)
    func matchesExplicitOrderings(tieBreaking: ItemRanking.TieBreaking) throws {
        let section = try ReferenceFixture.load().fullRanking
        for user in section.users {
            let ranking = try ItemRanking(
                scores: user.scores, targets: user.targets, excluding: user.excluded,
                tieBreaking: tieBreaking)
            let outcome: ReferenceFixture.FullRanking.Outcome
            switch tieBreaking {
            case .optimistic: outcome = user.optimistic
            case .pessimistic: outcome = user.pessimistic
            case .expected: outcome = user.expected
            }
            expectClose(ranking.rank, outcome.rank)
            expectClose(ranking.reciprocalRank(), outcome.reciprocalRank)
            for row in outcome.metrics {
                expectClose(ranking.hitRatio(at: row.cutoff), row.hitRatio)
                expectClose(ranking.recall(at: row.cutoff), row.recall)
                expectClose(ranking.ndcg(at: row.cutoff), row.ndcg)
                expectClose(ranking.reciprocalRank(at: row.cutoff), row.reciprocalRank)
            }
        }
    }

    @Test func malformedInputThrows() {
        #expect(throws: MetricError.emptyInput(metric: "ranking")) {
            try ItemRanking(scores: [Double](), target: 0)
        }
        #expect(throws: MetricError.self) { try ItemRanking(scores: [0.1, 0.2], targets: []) }
        #expect(throws: MetricError.self) { try ItemRanking(scores: [0.1, 0.2], target: 2) }
        #expect(throws: MetricError.self) {
            try ItemRanking(scores: [0.1, 0.2], target: 0, excluding: [-1])
        }
        #expect(throws: MetricError.self) { try ItemRanking(scores: [0.1, .nan], target: 0) }
    }
}
