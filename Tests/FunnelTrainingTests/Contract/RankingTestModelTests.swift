import Foundation
import FunnelData
import FunnelModels
import Testing

@testable import FunnelTraining

/// The ranking test model: its `[batch, catalogue]` output is ranked per clicked row with the
/// protocol of sequential.md §0.2–§0.3 (full or sampled candidates, history masking, ties, a
/// cap on rows), and it trains through the runner.
@Suite struct RankingTestModelTests {
    static let dataset = Result { try Dataset.load(RunnerFixture.data) }

    static func evaluate(_ fixed: RankingTestModel.FixedScores?, _ ranking: RankingProtocol) throws -> Evaluation {
        let dataset = try Self.dataset.get()
        let model = try RankingTestModel(dataset: dataset, ranking: ranking, fixedScores: fixed, seed: 1)
        return try Evaluator.evaluate(model: model, dataset: dataset, split: "test")
    }

    @Test func theTargetScoredHighestRanksFirst() throws {
        let evaluation = try Self.evaluate(.target, RankingProtocol(history: "user-day.clicked_items"))
        let clicked = try Self.dataset.get().rows(split: "test", where: "click").filter { $0 }.count
        #expect(evaluation.metrics["users"] == Double(clicked))
        for cutoff in [5, 10, 20] {
            #expect(evaluation.metrics["hr@\(cutoff)"] == 1 && evaluation.metrics["ndcg@\(cutoff)"] == 1)
        }
        #expect(evaluation.metrics["mrr"] == 1)
        #expect(evaluation.primaryMetric == "ndcg@10")
        #expect(evaluation.protocolDescription.contains { $0.contains("full catalogue (200 items), history masked") })
    }

    /// §0.3: equal scores rank the target first (optimistic), last (pessimistic), or at the
    /// expected place among the candidates: HR@10 = 10/200 over the full catalogue without
    /// masking, 10/101 among the target and 100 sampled negatives.
    @Test func tiesFollowTheTieBreaking() throws {
        var ranking = RankingProtocol(history: "user-day.clicked_items", maskHistory: false)
        #expect(try Self.evaluate(.constant, ranking).metrics["hr@10"] == 1)
        ranking.tieBreaking = .pessimistic
        #expect(try Self.evaluate(.constant, ranking).metrics["hr@20"] == 0)
        ranking.tieBreaking = .expected
        let full = try #require(try Self.evaluate(.constant, ranking).metrics["hr@10"])
        #expect(abs(full - 10.0 / 200) < 1e-9)
        ranking.sampledNegatives = 100
        let sampled = try Self.evaluate(.constant, ranking)
        #expect(abs(try #require(sampled.metrics["hr@10"]) - 10.0 / 101) < 1e-9)
        #expect(sampled.protocolDescription.contains { $0.contains("the target and 100 items drawn uniformly outside the history") })
    }

    @Test func theRowCapDrawsASeededSubset() throws {
        let ranking = RankingProtocol(maximumUsers: 50, seed: 3)
        let first = try Self.evaluate(.target, ranking)
        #expect(first.metrics["users"] == 50)
        let dataset = try Self.dataset.get()
        let learned = try RankingTestModel(dataset: dataset, ranking: ranking, seed: 1)
        let again = try Evaluator.evaluate(model: learned, dataset: dataset, split: "test")
        let repeated = try Evaluator.evaluate(model: learned, dataset: dataset, split: "test")
        #expect(again.metrics == repeated.metrics)
    }

    @Test func trainsThroughTheRunner() throws {
        let dataset = try Self.dataset.get()
        var configuration = RunnerFixture.configuration()
        configuration.epochs = 1
        configuration.optimizer.learningRate = 0.01
        let trainer = try Trainer(configuration: configuration, dataset: dataset, model: RankingTestModel(dataset: dataset, seed: 2))
        trainer.logsEvaluations = false
        let evaluation = try trainer.train()
        #expect(trainer.state.curve.allSatisfy { $0.loss.isFinite })
        let ndcg = try #require(evaluation.metrics["ndcg@10"])
        #expect(ndcg > 0 && ndcg <= 1)
        #expect(evaluation.metricOrder.first == "hr@5" && !evaluation.metricOrder.contains("users"))
    }
}
