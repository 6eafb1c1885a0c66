import Foundation
import FunnelModels
import FunnelSimulation
import Testing

@testable import FunnelTraining

/// `funnel curve`: one world per size and seed, every model on it, differences paired by seed.
@Suite struct LearningCurveTests {
    private func experiment(output: String) -> ExperimentConfiguration {
        var training = RunnerFixture.configuration()
        training.epochs = 1
        var experiment = ExperimentConfiguration(
            training: training, models: [ExperimentModel(model: .logisticRegression), ExperimentModel(model: .mlp)])
        experiment.seeds = [1, 2]
        experiment.output = output
        return experiment
    }

    @Test func eachSeedRunsOnAWorldOfItsOwn() throws {
        let output = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let sizes = [LearningCurveConfiguration.Size(users: 300, days: 4), .init(users: 600, days: 4)]
        let configuration = LearningCurveConfiguration(scenario: "homepage", sizes: sizes, experiment: experiment(output: output))
        var simulated: [String] = []
        let result = try LearningCurve.run(configuration) { size, seed, folder in
            simulated.append("\(size.users)-\(seed)")
            try ScenarioKind.homepage.simulate(users: size.users, days: size.days, seed: seed, knobs: ["items": "100"]).write(to: folder)
        }
        #expect(simulated == ["300-1", "300-2", "600-1", "600-2"])
        #expect(result.points.map(\.size) == sizes)
        for point in result.points {
            #expect(point.result.runs.map { "\($0.model) \($0.seed)" } == ["logistic-regression 1", "logistic-regression 2", "mlp 1", "mlp 2"])
            #expect(point.trainingRows[0] != point.trainingRows[1], "each seed draws its own world")
            #expect(point.result.runs.allSatisfy { $0.metrics["truth_auc_ceiling"].map { $0 > 0.5 } ?? false })
        }
        #expect(result.points[1].trainingRows[0] > result.points[0].trainingRows[0])
        // The worlds are removed once their runs are done.
        #expect(!FileManager.default.fileExists(atPath: output + "/worlds/300x4-seed1"))
        let files = try LearningCurveReport.write(result, to: output).map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(Set(files).isSuperset(of: ["curve.json", "curve.md", "curve-auc.svg", "curve-truth_auc.svg"]))
        #expect(!files.contains("curve-truth_auc_ceiling.svg"))
    }

    /// Differences are taken seed by seed: A = (0.60, 0.70), B = (0.65, 0.72) → B − A = (0.05,
    /// 0.02), 0.0350 ± 0.0212; the share of the way to a ceiling of 0.8 is A's (0.1/0.3, 0.2/0.3)
    /// and B's (0.15/0.3, 0.22/0.3).
    @Test func differencesArePairedBySeed() throws {
        func run(_ model: String, _ seed: UInt64, _ auc: Double) -> RunResult {
            RunResult(
                model: model, seed: seed, metrics: ["truth_auc": auc, "truth_auc_ceiling": 0.8], curve: [], roc: [],
                samplesPerSecond: 1000)
        }
        let experiment = ExperimentConfiguration(
            training: RunnerFixture.configuration(), models: [ExperimentModel(name: "A", model: .mlp), ExperimentModel(name: "B", model: .mlp)])
        let point = LearningCurve.Point(
            size: .init(users: 10, days: 3), trainingRows: [100, 110],
            result: ExperimentResult(
                dataset: "d", protocolDescription: ["p"], metricNames: ["truth_auc", "truth_auc_ceiling"],
                runs: [run("A", 1, 0.60), run("A", 2, 0.70), run("B", 2, 0.72), run("B", 1, 0.65)]))
        let difference = LearningCurveReport.difference(point, "B", "A", "truth_auc")
        #expect(abs(difference.mean! - 0.035) < 1e-12)
        #expect(abs(difference.standardDeviation! - (0.00045 as Double).squareRoot()) < 1e-12)
        let share = LearningCurveReport.share(point, "B")
        #expect(abs(share.mean! - (0.15 / 0.3 + 0.22 / 0.3) / 2) < 1e-12)
        let result = LearningCurve.Result(
            configuration: LearningCurveConfiguration(scenario: "homepage", sizes: [point.size], experiment: experiment), points: [point])
        let markdown = LearningCurveReport.markdown(result)
        #expect(markdown.contains("| B | +0.0350 ± 0.0212 |"))
        #expect(markdown.contains("| A | 50.0 % ± 23.6 % |"))
        let line = try #require(LearningCurveReport.table(result).split(separator: "\n").first { $0.hasPrefix("B − A") })
        #expect(line.hasSuffix("+0.0350 ± 0.0212"))
    }

    @Test func readRefusesWhatItCannotRun() throws {
        let path = RunnerFixture.temporaryDirectory() + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let experiment = #""experiment": {"training": {"data": "x", "model": "mlp"}, "models": ["mlp"]}"#
        let cases: [(String, String)] = [
            (#"{"scenario": "homepage", "sizes": [{"users": 10, "days": 3}], "size": 1, \#(experiment)}"#, "unknown field 'size'"),
            (#"{"scenario": "homepage", \#(experiment)}"#, "field 'sizes' is required"),
            (#"{"scenario": "homepage", "sizes": [], \#(experiment)}"#, "field 'sizes': expected at least one size"),
            (#"{"scenario": "homepage", "sizes": [{"users": 0, "days": 3}], \#(experiment)}"#, "field 'sizes[0]': expected positive users and days"),
            (#"{"scenario": "homepage", "sizes": [{"users": 5, "days": 3}, {"users": 5, "days": 3}], \#(experiment)}"#, "field 'sizes[1]': 5 × 3 is listed twice"),
            (#"{"scenario": "homepage", "sizes": [{"users": 5, "days": 3}], "reference": "BASE", \#(experiment)}"#, "field 'reference': 'BASE' names no model"),
            (#"{"scenario": "homepage", "sizes": [{"users": 5, "days": 3}], "experiment": {"training": {"data": "x", "model": "mlp"}, "models": ["mlp"], "seed": 1}}"#, "experiment: unknown field 'seed'"),
        ]
        for (text, expected) in cases {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            #expect {
                try LearningCurveConfiguration.read(path)
            } throws: { error in
                "\(error)".hasPrefix(path) && "\(error)".contains(expected)
            }
        }
        try Data(#"{"scenario": "homepage", "knobs": {"items": "100"}, "sizes": [{"users": 5, "days": 3}], \#(experiment)}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let configuration = try LearningCurveConfiguration.read(path)
        #expect(configuration.knobs == ["items": "100"] && configuration.referenceModel == "mlp" && !configuration.keepWorlds)
    }
}
