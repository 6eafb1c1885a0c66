import Testing

@testable import FunnelMetrics

@Suite struct RankingSummaryTests {
    @Test func meansOverUsers() throws {
        var summary = RankingSummary(cutoffs: [1, 10])
        summary.add(try ItemRanking(scores: [0.9, 0.5, 0.1], target: 0))
        summary.add(try ItemRanking(scores: [0.3, 0.9, 0.8, 0.1], target: 0))
        #expect(summary.userCount == 2)
        #expect(try summary.mean(.ndcg, at: 10) == 0.75)
        #expect(try summary.mean(.hitRatio, at: 1) == 0.5)
        #expect(try summary.mean(.recall, at: 10) == 1)
        expectClose(try summary.meanReciprocalRank(), (1 + 1.0 / 3) / 2, relative: 1e-15)

        var merged = RankingSummary(cutoffs: [1, 10])
        merged.merge(summary)
        merged.merge(summary)
        #expect(merged.userCount == 4)
        #expect(try merged.mean(.ndcg, at: 10) == 0.75)
    }

    @Test func unknownCutoffAndNoUsersThrow() {
        let summary = RankingSummary(cutoffs: [5])
        #expect(throws: MetricError.emptyInput(metric: "ndcg@5")) { try summary.mean(.ndcg, at: 5) }
        #expect(throws: MetricError.self) { try summary.mean(.ndcg, at: 10) }
        #expect(throws: MetricError.emptyInput(metric: "mrr")) { try summary.meanReciprocalRank() }
    }
}
