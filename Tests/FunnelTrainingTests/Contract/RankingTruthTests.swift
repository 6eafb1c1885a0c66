import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor
import Testing

@testable import FunnelTraining

/// Ranking tasks judged against a recorded next-item truth (the sequential world's
/// `truth-<split>.f32`): a model that scores by the truth itself gets `truth_ndcg@K` = 1 and
/// `truth_mass@K` = the top K's share of the truth, the largest any order gets; reversing the
/// truth's order does worse.
@Suite struct RankingTruthTests {
    /// Scores every row by the recorded truth of its split row (`reversed`: its negation).
    final class TruthModel: Module, FunnelModel {
        let truth: RankingTruth
        let reversed: Bool

        init(truth: RankingTruth, reversed: Bool) {
            self.truth = truth
            self.reversed = reversed
            super.init()
        }

        var requirements: DataRequirements {
            DataRequirements(columns: ["target", "interacted"], sequences: ["interacted": SequencePolicy(length: 200)])
        }

        var evaluationTasks: [EvaluationTask] {
            [EvaluationTask(
                name: "full", outputs: ["catalogue"], label: "target", truth: nil,
                kind: .ranking(RankingProtocol(history: "interacted", cutoffs: [5, 10], firstItem: 1)))]
        }

        func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
            let rows = batch.rows.flatMap { truth.row(Int($0)).map { reversed ? -$0 : $0 } }
            return ["catalogue": Tensor(shape: [batch.size, truth.items], scalars: rows)]
        }

        func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective { Objective(Tensor(0)) }
    }

    @Test func scoringByTheTruthIsItsOwnCeiling() throws {
        let directory = NSTemporaryDirectory() + "funnel-ranking-truth-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var knobs = SequentialWorld.Knobs()
        knobs.items = 60
        knobs.categories = 4
        let dataset = try SequentialScenario.simulate(users: 40, seed: 2, knobs: knobs).write(to: directory)
        let truth = try #require(try dataset.rankingTruth(split: "test"))
        #expect(truth.rows == 40 && truth.items == 61)
        let oracle = try Evaluator.evaluate(model: TruthModel(truth: truth, reversed: false), dataset: dataset, split: "test")
        let reversed = try Evaluator.evaluate(model: TruthModel(truth: truth, reversed: true), dataset: dataset, split: "test")
        for cutoff in [5, 10] {
            #expect(abs(oracle.metrics["full_truth_ndcg@\(cutoff)"]! - 1) <= 1e-9)
            #expect(reversed.metrics["full_truth_ndcg@\(cutoff)"]! < 0.5)
            #expect(oracle.metrics["full_truth_mass@\(cutoff)"]! > reversed.metrics["full_truth_mass@\(cutoff)"]!)
            #expect(oracle.metrics["full_hr@\(cutoff)"]! >= reversed.metrics["full_hr@\(cutoff)"]!)
        }
        #expect(oracle.protocolDescription.contains { $0.contains("judged also against the recorded true next-item probabilities") })
        // No truth for the training split: its rows are judged by the drawn item only.
        #expect(try dataset.rankingTruth(split: "train") == nil)
    }
}
