import Foundation
import Testing

@testable import FunnelTraining

/// Two models × three seeds with round numbers, runs interleaved so that model `b` appears
/// first; `b`'s third logloss is NaN.
///
/// By hand: auc of `a` = 0.70, 0.72, 0.74 → 0.72 ± 0.02; of `b` = 0.60, 0.60, 0.63 → 0.61 ±
/// √(0.0006 / 2) = 0.0173; logloss of `b` = 0.5, 0.6 → 0.55 ± 0.0707 (n=2); throughput of `a`
/// = 1,000, 2,000, 3,000 → 2,000 ± 1,000.
func reportFixture() -> ExperimentResult {
    let values: [(model: String, auc: Double, logLoss: Double, speed: Double)] = [
        ("b", 0.60, 0.5, 10_000), ("a", 0.70, 0.4, 1_000),
        ("b", 0.60, 0.6, 12_000), ("a", 0.72, 0.4, 2_000),
        ("b", 0.63, .nan, 14_000), ("a", 0.74, 0.4, 3_000),
    ]
    let runs = values.enumerated().map { index, value in
        RunResult(
            model: value.model, seed: UInt64(index / 2),
            metrics: ["auc": value.auc, "logloss": value.logLoss],
            curve: (0..<20).map { CurvePoint(step: $0 * 5, loss: 0.7 - 0.01 * Double($0)) },
            roc: ExperimentReport.rocCurve(scores: [0.9, 0.4, 0.6, 0.2], labels: [1, 1, 0, 0]),
            samplesPerSecond: value.speed)
    }
    return ExperimentResult(
        dataset: "synthetic", protocolDescription: ["rows: test split", "GAUC: weight 1 per user"],
        metricNames: ["auc", "logloss"], runs: runs)
}

@Suite("Report summary and table")
struct ReportTests {
    @Test func summaryMatchesHandComputedMeansAndStandardDeviations() throws {
        let summary = ExperimentReport.summary(reportFixture())
        #expect(summary.models.map(\.name) == ["b", "a"])
        let a = try #require(summary.models.last)
        let b = try #require(summary.models.first)
        #expect(a.seeds == [0, 1, 2])
        #expect(abs(try #require(a.statistic("auc").mean) - 0.72) < 1e-12)
        #expect(abs(try #require(a.statistic("auc").standardDeviation) - 0.02) < 1e-12)
        #expect(
            abs(try #require(b.statistic("auc").standardDeviation) - 0.0003.squareRoot()) < 1e-12)
        #expect(b.statistic("logloss").count == 2)
        #expect(b.statistic("logloss").missing == 1)
        #expect(abs(try #require(b.statistic("logloss").mean) - 0.55) < 1e-12)
        #expect(a.samplesPerSecond.mean == 2_000)
        #expect(a.samplesPerSecond.standardDeviation == 1_000)
    }

    @Test func tableShowsProtocolModelsInOrderAndMeanPlusMinusStandardDeviation() {
        let table = ExperimentReport.table(reportFixture())
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "Experiment: synthetic")
        #expect(lines[2] == "  rows: test split")
        let rowB = lines.first { $0.hasPrefix("b ") } ?? ""
        let rowA = lines.first { $0.hasPrefix("a ") } ?? ""
        #expect(lines.firstIndex(of: rowB)! < lines.firstIndex(of: rowA)!)
        #expect(rowA.contains("0.7200 ± 0.0200"))
        #expect(rowA.contains("0.4000 ± 0.0000"))
        #expect(rowA.contains("2,000 ± 1,000"))
        #expect(rowB.contains("0.6100 ± 0.0173"))
        #expect(rowB.contains("0.5500 ± 0.0707 (n=2)"))
        #expect(rowB.contains("12,000 ± 2,000"))
        #expect(rowA.hasSuffix("3"))
        // Every table line has the same column layout: header and rows align.
        let header = lines.first { $0.hasPrefix("Model") } ?? ""
        #expect(header.hasSuffix("seeds"))
        #expect(rowA.count == header.count)
    }

    @Test func singleSeedShowsNoSpreadAndAllNaNShowsDash() {
        var result = reportFixture()
        result.runs = [result.runs[1]]
        result.runs[0].metrics["logloss"] = .nan
        let summary = ExperimentReport.summary(result)
        #expect(summary.models[0].statistic("auc").standardDeviation == nil)
        let table = ExperimentReport.table(result)
        #expect(table.contains("0.7000 ± —"))
        #expect(table.contains("1,000 ± —"))
        let row = table.split(separator: "\n").first { $0.hasPrefix("a ") } ?? ""
        let cells = row.split(separator: " ", omittingEmptySubsequences: true)
        #expect(cells.contains("—"))
        #expect(!table.lowercased().contains("nan"))
    }

    @Test func numberFormats() {
        #expect(ReportNumberFormat.metric(0.71234) == "0.7123")
        #expect(ReportNumberFormat.metric(-0.0) == "0.0000")
        #expect(ReportNumberFormat.metric(.infinity) == "—")
        #expect(ReportNumberFormat.metric(0.000_003_1) == "3.1e-06")
        #expect(ReportNumberFormat.throughput(1_234_567.8) == "1,234,568")
        #expect(
            ReportNumberFormat.throughput(42.25) == "42.2"
                || ReportNumberFormat.throughput(42.25) == "42.3")
        #expect(ReportNumberFormat.grouped(-1_000) == "-1,000")
        #expect(ReportNumberFormat.tick(0.75, step: 0.05) == "0.75")
        #expect(ReportNumberFormat.tick(12_000, step: 2_000) == "12,000")
    }

    @Test func markdownHasTitleProtocolTableAndChartLinks() {
        var result = reportFixture()
        result.runs[0].model = "b|pipe"
        let markdown = ExperimentReport.markdown(result)
        #expect(markdown.hasPrefix("# Experiment: synthetic\n"))
        #expect(markdown.contains("- rows: test split\n"))
        #expect(markdown.contains("| Model | auc | logloss | samples/s | seeds |"))
        #expect(markdown.contains("| b\\|pipe | 0.6000 ± — |"))
        #expect(markdown.contains("| a | 0.7200 ± 0.0200 |"))
        for name in ExperimentReport.charts(result).keys {
            #expect(markdown.contains("(\(name))"))
        }
    }

    @Test func metricChartFileNamesAreSafe() {
        #expect(ExperimentReport.metricChartFileName("gauc_avg") == "metric-gauc_avg.svg")
        #expect(
            ExperimentReport.metricChartFileName("ndcg@10 / user") == "metric-ndcg-10---user.svg")
    }

    @Test func jsonIsSortedAndRoundTripsWithNaN() throws {
        let result = reportFixture()
        let json = try ExperimentReport.json(result)
        #expect(json.contains("\"nan\""))
        #expect(
            json.range(of: "\"result\"")!.lowerBound < json.range(of: "\"summary\"")!.lowerBound)
        let document = try ExperimentReport.decoder().decode(
            ExperimentReport.Document.self, from: Data(json.utf8))
        #expect(document.summary == ExperimentReport.summary(result))
        #expect(document.result.runs.count == 6)
        #expect(document.result.runs[4].metrics["logloss"]?.isNaN == true)
    }

    @Test func writeLeavesEveryFileAndNoTemporaryOne() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("report-\(UUID().uuidString)/nested").path
        defer {
            try? FileManager.default.removeItem(
                atPath: (directory as NSString).deletingLastPathComponent)
        }
        let result = reportFixture()
        let paths = try ExperimentReport.write(result, to: directory)
        let expected =
            ["experiment.json", "experiment.md", "experiment.txt"]
            + ExperimentReport.charts(result).keys.sorted()
        #expect(paths.map { ($0 as NSString).lastPathComponent } == expected)
        for path in paths { #expect(FileManager.default.fileExists(atPath: path)) }
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(listing == expected.sorted())
        // A second write replaces the files in place, still leaving no temporary file.
        try ExperimentReport.write(result, to: directory)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory).count == expected.count)
        let table = try String(contentsOfFile: paths[2], encoding: .utf8)
        #expect(table == ExperimentReport.table(result))
    }
}
