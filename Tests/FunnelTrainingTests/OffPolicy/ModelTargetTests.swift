import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// A trained model as the target policy: every action scored in every round, turned into a
/// distribution by a softmax with a temperature.
@Suite struct ModelTargetTests {
    @Test(.needsSharedData) func aCheckpointScoresEveryActionAsPredictScoresTheLoggedOne() throws {
        let (folder, data) = try OffPolicyCommandTests.convertedSample()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Logistic regression on its default features: the item id, the item side table
        // (item.item_feature_*), the campaign, the position and the user features.
        let configuration = """
            {"data": "\(data)", "model": "logistic-regression", "trainSplit": "random", "evaluationSplit": "bts",
             "epochs": 1, "batchSize": 512, "optimizer": {"kind": "adam", "learningRate": 0.05},
             "checkpointDirectory": "\(folder)/lr", "seed": 1}
            """
        try configuration.write(toFile: folder + "/train.json", atomically: true, encoding: .utf8)
        let train = try runFunnel(["train", "--config", folder + "/train.json"])
        try #require(train.status == 0, "\(train.errors)")

        let trained = try TrainedModel.load(checkpoint: folder + "/lr")
        let log = try BanditLog.load(dataset: trained.dataset, split: "random", campaign: "men")
        let scores = try TargetDistribution.actionLogScores(
            model: trained.model, dataset: trained.dataset, log: log, actionCount: 34, source: "lr")
        #expect(scores.count == log.count * 34)
        // The logged action's score is the row's own score, as `funnel predict` gives it: the
        // replaced columns (item, action, item.*) are those the row already had.
        var kept = [Bool](repeating: false, count: try trained.dataset.split("random").rowCount)
        for row in log.rows { kept[row] = true }
        let evaluation = try Evaluator.evaluate(model: trained.model, dataset: trained.dataset, split: "random", rows: kept)
        try #require(evaluation.scores.count == log.count)
        let largestGap = log.actions.indices.map { abs(scores[$0 * 34 + log.actions[$0]] - Foundation.log(evaluation.scores[$0])) }.max()!
        #expect(largestGap < 1e-5)
        // The model tells items apart, so the actions of a round do not all score the same.
        #expect(Set(scores[0..<34]).count > 1)

        let target = try TargetDistribution.softmaxOfScores(
            model: trained.model, dataset: trained.dataset, log: log, actionCount: 34, temperature: 1, source: "lr")
        for round in [0, 1, log.count - 1] {
            let row = target.probabilities[round * 34..<(round + 1) * 34]
            #expect(abs(row.reduce(0, +) - 1) < 1e-12)
            // T = 1: π(a) / π(b) = p(a) / p(b).
            let ratio = row[row.startIndex] / row[row.startIndex + 1]
            #expect(abs(Foundation.log(ratio) - (scores[round * 34] - scores[round * 34 + 1])) < 1e-9)
        }
        let flat = try TargetDistribution.softmaxOfScores(
            model: trained.model, dataset: trained.dataset, log: log, actionCount: 34, temperature: 1e6, source: "lr")
        #expect(flat.probabilities.allSatisfy { abs($0 - 1.0 / 34) < 1e-4 })
        #expect(throws: OffPolicyInputError.self) {
            try TargetDistribution.softmaxOfScores(
                model: trained.model, dataset: trained.dataset, log: log, actionCount: 34, temperature: 0, source: "lr")
        }

        let run = try runFunnel(["ope", "--data", data, "--target", folder + "/lr", "--campaign", "every", "--bootstrap", "20", "--json"])
        try #require(run.status == 0, "\(run.errors)")
        let reports = try JSONDecoder().decode([OffPolicyEvaluation.CampaignReport].self, from: Data(run.output.utf8))
        #expect(reports.count == 3)
        for report in reports {
            #expect(report.target.contains("softmax") && report.truth == nil)
            #expect(report.estimates.allSatisfy { $0.interval.estimate.isFinite && $0.interval.lower <= $0.interval.upper })
        }
    }
}
