import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor
import Testing

@testable import FunnelTraining

/// A watch-time test model without parameters: its ranking score is the dataset's dense column
/// `s` and its predicted watch time the column `p`, so that every metric has a hand-computed
/// value.
final class WatchTimeTestModel: Module, FunnelModel {
    let watch: WatchTimeProtocol
    let predictsWatchTime: Bool
    let scoreColumn: String
    let predictionColumn: String

    init(protocol watch: WatchTimeProtocol, predictsWatchTime: Bool = true, scoreColumn: String = "s", predictionColumn: String = "p") {
        self.watch = watch
        self.predictsWatchTime = predictsWatchTime
        self.scoreColumn = scoreColumn
        self.predictionColumn = predictionColumn
        super.init()
    }

    var requirements: DataRequirements { DataRequirements(columns: ["user", scoreColumn, predictionColumn]) }

    var evaluationTasks: [EvaluationTask] {
        [EvaluationTask(
            name: "", outputs: predictsWatchTime ? ["score", "predicted_watch_time"] : ["score"], label: "long_view",
            kind: .watchTime(watch))]
    }

    func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        ["score": try batch.tensor(scoreColumn), "predicted_watch_time": try batch.tensor(predictionColumn)]
    }

    func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        Objective(outputs["score"]!.sum())
    }
}

/// The watch-time evaluation task (watchtime.md §0.4): the metric oracle, and the scorer run by
/// `Evaluator.evaluate` on a tiny dataset of two users whose every value is computed by hand.
@Suite struct WatchTimeTaskScorerTests {
    // MARK: The §0.4 oracle

    @Test func oracleOfTheRankingMetrics() throws {
        // Scores in decreasing order, so the labels are in predicted order.
        let scores: [Double] = [3, 2, 1]
        #expect(try Metrics.meanNDCG(scores: scores, labels: [1.0, 0, 0], groups: [0, 0, 0], cutoff: 1) == 1)
        #expect(try Metrics.meanReciprocalRank(scores: scores, labels: [1.0, 0, 0], groups: [0, 0, 0]) == 1)
        let ndcg3 = try Metrics.meanNDCG(scores: scores, labels: [0.0, 1, 0], groups: [0, 0, 0], cutoff: 3)
        #expect(abs(ndcg3 - 1 / log2(3.0)) < 1e-12 && abs(ndcg3 - 0.6309) < 1e-4)
        #expect(try Metrics.meanReciprocalRank(scores: scores, labels: [0.0, 1, 0], groups: [0, 0, 0]) == 0.5)

        // Users a: [1, 0, 0], b: [0, 1, 0], c: [0, 0] (labels in predicted order).
        let allScores: [Double] = [3, 2, 1, 3, 2, 1, 2, 1]
        let labels: [Double] = [1, 0, 0, 0, 1, 0, 0, 0]
        let users = ["a", "a", "a", "b", "b", "b", "c", "c"]
        let meanNDCG = try Metrics.meanNDCG(scores: allScores, labels: labels, groups: users, cutoff: 3)
        #expect(abs(meanNDCG - (1 + 1 / log2(3.0) + 0) / 3) < 1e-12)
        #expect(try Metrics.meanReciprocalRank(scores: allScores, labels: labels, groups: users) == 0.5)
        // c contributes nothing to GAUC: (1·1 + 1·0.5) / 2 over a and b.
        let gauc = try GroupedAUC(scores: allScores, labels: labels, groups: users, weighting: .clicks)
        #expect(gauc.value == 0.75 && gauc.groupsUsed == 2 && gauc.groupsDropped == 1)

        #expect(try Metrics.xauc(predictions: [1.0, 2, 3, 4], targets: [10.0, 20, 30, 40]) == 1)
        #expect(try Metrics.xauc(predictions: [4.0, 3, 2, 1], targets: [10.0, 20, 30, 40]) == 0)
    }

    // MARK: End to end

    /// user, s (score), long_view, watch_time, duration, p (predicted), interest, counterfactual.
    static let rows: [(String, Double, Int, Double, Double, Double, Double, Double)] = [
        ("u1", 0.9, 1, 30, 40, 28, 0.9, 60),
        ("u1", 0.5, 0, 5, 10, 8, 0.2, 5),
        ("u1", 0.95, 0, 12, 15, 10, 0.4, 12),
        ("u1", 0.2, 1, 15, 15, 20, 0.6, 35),
        ("u2", 0.55, 0, 3, 30, 6, 0.1, 3),
        ("u2", 0.6, 1, 25, 25, 22, 0.8, 40),
        ("u2", 0.1, 0, 2, 50, 1, 0.05, 2),
    ]

    /// A dataset folder holding `rows` as both splits, with or without the truth columns.
    static func dataset(truth: Bool) throws -> (Dataset, folder: String) {
        let folder = NSTemporaryDirectory() + "funnel-watchtime-eval-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var columns = [
            ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .built(minimumCount: 1)),
            ColumnSchema(name: "s", kind: .dense),
            ColumnSchema(name: "p", kind: .dense),
            ColumnSchema(name: "long_view", kind: .label),
            ColumnSchema(name: "watch_time", kind: .label),
            ColumnSchema(name: "duration", kind: .label),
        ]
        if truth {
            columns += [
                ColumnSchema(name: "interest", kind: .dense, role: .truth),
                ColumnSchema(name: "counterfactual_watch_time", kind: .dense, role: .truth),
            ]
        }
        let schema = DatasetSchema(
            name: "watchtime-eval", tables: ["train": TableFile(file: "train.csv"), "test": TableFile(file: "test.csv")], columns: columns)
        try schema.write(directory: folder)
        var text = columns.map(\.name).joined(separator: ",") + "\n"
        for row in rows {
            var fields = [row.0, "\(row.1)", "\(row.5)", "\(row.2)", "\(row.3)", "\(row.4)"]
            if truth { fields += ["\(row.6)", "\(row.7)"] }
            text += fields.joined(separator: ",") + "\n"
        }
        for file in ["train.csv", "test.csv"] { try text.write(toFile: folder + "/" + file, atomically: false, encoding: .utf8) }
        return (try Dataset.load(folder, cache: .ignore), folder)
    }

    static func close(_ value: Double?, _ expected: Double, _ name: String, tolerance: Double = 1e-9) {
        guard let value else {
            Issue.record("no metric \(name)")
            return
        }
        #expect(abs(value - expected) < tolerance, "\(name): \(value), expected \(expected)")
    }

    @Test func metricsOfTwoUsersAndTwoDurationGroups() throws {
        let (dataset, folder) = try Self.dataset(truth: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = WatchTimeTestModel(protocol: WatchTimeProtocol(durationGroups: [20]))
        let evaluation = try Evaluator.evaluate(model: model, dataset: dataset, split: "test")
        let metrics = evaluation.metrics
        #expect(evaluation.primaryMetric == "gauc")
        // Positives 0.9, 0.2, 0.6 against negatives 0.5, 0.95, 0.55, 0.1: 2 + 1 + 3 of 12 pairs
        // (0.9 beats 0.5, 0.55, 0.1; 0.2 beats 0.1; 0.6 beats 0.5, 0.55, 0.1 — 7 in all).
        Self.close(metrics["auc"], 7.0 / 12, "auc")
        // u1: AUC 1/4 with 2 positives; u2: AUC 1 with 1 positive; weighted by positives.
        Self.close(metrics["gauc"], (2 * 0.25 + 1 * 1) / 3, "gauc")
        // u1's top row (0.95) is a negative, u2's (0.6) a positive.
        Self.close(metrics["ndcg@1"], 0.5, "ndcg@1")
        // u1's first positive is second, u2's first.
        Self.close(metrics["mrr"], (0.5 + 1) / 2, "mrr")
        // 15 of the 21 pairs ordered as the watch times (brute force).
        Self.close(metrics["xauc"], 15.0 / 21, "xauc")
        // |28−30| + |8−5| + |10−12| + |20−15| + |6−3| + |22−25| + |1−2| = 19 over 7 rows.
        Self.close(metrics["mae"], 19.0 / 7, "mae")
        Self.close(metrics["rmse"], (61.0 / 7).squareRoot(), "rmse")
        Self.close(metrics["watch_xauc"], 1, "watch_xauc")
        Self.close(metrics["rows"], 7, "rows")
        Self.close(metrics["users_without_positives"], 0, "users_without_positives")
        // d1 = (−∞, 20]: u1's rows 0.5 (neg), 0.95 (neg), 0.2 (pos).
        Self.close(metrics["d1_auc"], 0, "d1_auc")
        Self.close(metrics["d1_ndcg@3"], 0.5, "d1_ndcg@3")
        Self.close(metrics["d1_xauc"], 1.0 / 3, "d1_xauc")
        Self.close(metrics["d1_rows"], 3, "d1_rows")
        // d2 = (20, ∞): u1's single positive row drops out of GAUC; u2 is ranked perfectly.
        Self.close(metrics["d2_gauc"], 1, "d2_gauc")
        Self.close(metrics["d2_auc"], 1, "d2_auc")
        // No truth columns: no truth metrics, named nowhere.
        #expect(!metrics.keys.contains { $0.contains("truth") })
        #expect(evaluation.metricOrder.prefix(9) == ["auc", "gauc", "ndcg@1", "ndcg@3", "ndcg@5", "mrr", "xauc", "xgauc", "mae"])
        #expect(!evaluation.metricOrder.contains("rows"))
        // The evaluation's rows are the score against the relevance label.
        #expect(evaluation.scores.map { Float($0) } == Self.rows.map { Float($0.1) })
        #expect(evaluation.labels == Self.rows.map { Double($0.2) })
        // MetricNames lists exactly what the evaluation produced.
        let names = MetricNames(tasks: model.evaluationTasks, dataset: dataset)
        #expect(Set(names.all) == Set(metrics.keys))
        #expect(names.compared == evaluation.metricOrder)
        let line = try #require(evaluation.protocolDescription.last)
        #expect(line.contains("'long_view'") && line.contains("weighted by positives") && line.contains("count 0"))
        #expect(line.contains("d1 (−∞, 20] 3 rows") && line.contains("d2 (20, ∞) 4 rows"), "\(line)")
    }

    @Test func truthMetricsWhenTheDatasetHasTheTruthColumns() throws {
        let (dataset, folder) = try Self.dataset(truth: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = WatchTimeTestModel(protocol: WatchTimeProtocol(durationGroups: [20]), predictsWatchTime: false)
        let evaluation = try Evaluator.evaluate(model: model, dataset: dataset, split: "test")
        let metrics = evaluation.metrics
        #expect(metrics["mae"] == nil && metrics["watch_xauc"] == nil)
        let scores = Self.rows.map { Double(Float($0.1)) }
        let interest = Self.rows.map { Double(Float($0.6)) }
        let drawn = TruthEvaluation.drawLabels(interest, seed: 0)
        Self.close(metrics["truth_auc"], try Metrics.auc(scores: scores, labels: drawn), "truth_auc")
        // Brute force, as xauc: the counterfactual watch times order 15 of the 21 pairs alike.
        Self.close(metrics["truth_xauc"], 15.0 / 21, "truth_xauc")
        // Interest as graded gain (Python reference of the §0.4 formula in doubles; the column
        // holds floats).
        Self.close(metrics["truth_ndcg@1"], 0.6844593350953355, "truth_ndcg@1", tolerance: 1e-7)
        Self.close(metrics["truth_ndcg@3"], 0.8479437847201676, "truth_ndcg@3", tolerance: 1e-7)
        Self.close(metrics["d1_truth_xauc"], 1.0 / 3, "d1_truth_xauc")
        let d1 = [1, 2, 3]
        Self.close(
            metrics["d1_truth_auc"], (try? Metrics.auc(scores: d1.map { scores[$0] }, labels: d1.map { drawn[$0] })) ?? .nan,
            "d1_truth_auc")
        let names = MetricNames(tasks: model.evaluationTasks, dataset: dataset)
        #expect(Set(names.all) == Set(metrics.keys))
        #expect(evaluation.protocolDescription.last?.contains("drawn once (seed 0) from 'interest'") == true)
    }

    @Test func emptyAndOneClassDurationGroupsAreNaN() throws {
        let (dataset, folder) = try Self.dataset(truth: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // (−∞, 12]: one negative row; (12, 100]: the rest; (100, 200] and (200, ∞): empty.
        let model = WatchTimeTestModel(protocol: WatchTimeProtocol(durationGroups: [12, 100, 200]))
        let evaluation = try Evaluator.evaluate(model: model, dataset: dataset, split: "test")
        let metrics = evaluation.metrics
        #expect(metrics["d1_rows"] == 1 && metrics["d2_rows"] == 6 && metrics["d3_rows"] == 0 && metrics["d4_rows"] == 0)
        for name in ["d3_auc", "d3_gauc", "d3_ndcg@1", "d3_xauc", "d4_auc", "d4_ndcg@5"] {
            #expect(metrics[name]?.isNaN == true, "\(name): \(String(describing: metrics[name]))")
        }
        #expect(metrics["d1_auc"]?.isNaN == true && metrics["d1_gauc"]?.isNaN == true)
        // A single row has nothing to misorder.
        #expect(metrics["d1_xauc"] == 1 && metrics["d1_ndcg@1"] == 0)
        #expect(metrics["auc"].map { abs($0 - 7.0 / 12) < 1e-9 } == true)
        let line = try #require(evaluation.protocolDescription.last)
        #expect(line.contains("d3, d4 empty") && line.contains("undefined (NaN): d1_auc"), "\(line)")
    }

    /// The default protocol fits the simulator's watch-time world (its `long_view`,
    /// `watch_time`, `duration`, `interest` and `counterfactual_watch_time` columns): scored by
    /// the interest itself, every metric is defined and the truth AUC is the truth's ceiling.
    @Test func theSimulatedWatchTimeWorldScoredByItsInterest() throws {
        let folder = NSTemporaryDirectory() + "funnel-watchtime-world-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ScenarioKind.watchtime.simulate(users: 200, days: 3, seed: 5).write(to: folder)
        let dataset = try Dataset.load(folder)
        let model = WatchTimeTestModel(
            protocol: WatchTimeProtocol(durationGroups: [30, 90]), scoreColumn: "interest", predictionColumn: "watch_time")
        let evaluation = try Evaluator.evaluate(model: model, dataset: dataset, split: "test")
        let names = MetricNames(tasks: model.evaluationTasks, dataset: dataset)
        #expect(Set(names.all) == Set(evaluation.metrics.keys))
        for name in names.compared where !name.hasPrefix("d") {
            #expect(evaluation.metrics[name]?.isFinite == true, "\(name): \(String(describing: evaluation.metrics[name]))")
        }
        #expect(evaluation.metrics["mae"] == 0 && evaluation.metrics["rmse"] == 0)
        let ceiling = try TruthEvaluation(scores: evaluation.scores, trueProbabilities: evaluation.scores, seed: 0)
        #expect(evaluation.metrics["truth_auc"] == ceiling.truthAUC)
        #expect(try #require(evaluation.metrics["gauc"]) > 0.5 && (try #require(evaluation.metrics["truth_auc"])) > 0.5)
        let groupRows = ["d1_rows", "d2_rows", "d3_rows"].map { evaluation.metrics[$0] ?? 0 }
        #expect(groupRows.reduce(0, +) == evaluation.metrics["rows"])
    }

    @Test func protocolDecodesWithDefaultsAndRejectsBadGroups() throws {
        let decoded = try JSONDecoder().decode(WatchTimeProtocol.self, from: Data(#"{"durationGroups": [30, 60], "interestTruth": null}"#.utf8))
        #expect(decoded == WatchTimeProtocol(durationGroups: [30, 60], interestTruth: nil))
        let again = try JSONDecoder().decode(WatchTimeProtocol.self, from: JSONEncoder().encode(decoded))
        #expect(again == decoded)
        #expect(decoded.durationGroup(of: 30) == 0 && decoded.durationGroup(of: 30.5) == 1 && decoded.durationGroup(of: 61) == 2)
        let (dataset, folder) = try Self.dataset(truth: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = WatchTimeTestModel(protocol: WatchTimeProtocol(durationGroups: [60, 30]))
        #expect { try Evaluator.evaluate(model: model, dataset: dataset, split: "test") } throws: {
            "\($0)".contains("strictly increasing")
        }
    }
}
