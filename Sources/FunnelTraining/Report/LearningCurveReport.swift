import Foundation
import FunnelData

/// The report of a ``LearningCurve``: per metric, each model's mean ± standard deviation over
/// seeds at every size, the paired difference to the reference model (each seed's world shared
/// by both, so the spread is that of the difference), the share of the way from 0.5 to the
/// truth's own AUC, training speed, and one SVG chart per metric.
public enum LearningCurveReport {
    /// Markdown: the protocol, then one table per metric and the other tables.
    public static func markdown(_ result: LearningCurve.Result) -> String {
        let configuration = result.configuration
        let sizes = result.points.map(\.size.label)
        let header = "| model | " + sizes.joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: sizes.count) + "\n"
        var text = "# Learning curve: \(configuration.scenario), users × days\n\n"
        if !configuration.knobs.isEmpty {
            text += "Knobs: " + configuration.knobs.sorted { $0.key < $1.key }.map { "`\($0.key)=\($0.value)`" }.joined(separator: ", ") + ".\n\n"
        }
        text += "Training rows (mean over seeds): " + result.points.map { point in
            "\(point.size.label): \(ReportNumberFormat.grouped(Double(point.trainingRows.reduce(0, +)) / Double(max(point.trainingRows.count, 1))))"
        }.joined(separator: "; ") + ".\n\n"
        for line in result.points.first?.result.protocolDescription ?? [] { text += "- \(line)\n" }
        let reference = configuration.referenceModel
        for metric in metricNames(result) {
            text += "\n## \(metric)\n\n" + header
            for model in modelNames(result) {
                text += row(model, result.points.map { ReportNumberFormat.cell(statistic($0, model, metric), format: ReportNumberFormat.metric) })
            }
            text += "\n### \(metric): difference to \(reference), paired by seed\n\n" + header
            for model in modelNames(result) where model != reference {
                text += row(model, result.points.map { differenceCell(difference($0, model, reference, metric)) })
            }
        }
        if result.points.contains(where: { $0.result.runs.contains { $0.metrics["truth_auc_ceiling"] != nil } }) {
            text += "\n## Share of the way from 0.5 to the truth's own AUC\n\n(truth_auc − 0.5) / (truth_auc_ceiling − 0.5), per seed.\n\n" + header
            for model in modelNames(result) {
                text += row(model, result.points.map { ReportNumberFormat.cell(share($0, model), format: percent) })
            }
        }
        text += "\n## Training speed (samples/s)\n\n" + header
        for model in modelNames(result) {
            text += row(model, result.points.map { point in
                ReportNumberFormat.cell(
                    ExperimentSummary.Statistic(values: point.result.runs.filter { $0.model == model }.map(\.samplesPerSecond)),
                    format: ReportNumberFormat.throughput)
            })
        }
        return text
    }

    /// A plain-text table per size: each model's metrics (mean ± sd over seeds), then each
    /// model's paired difference to the reference (`funnel demo`'s output).
    public static func table(_ result: LearningCurve.Result) -> String {
        let metrics = metricNames(result)
        let reference = result.configuration.referenceModel
        var text = ""
        for point in result.points {
            let seeds = result.configuration.experiment.seeds.map(String.init).joined(separator: ", ")
            var rows = [["\(point.size.label) (seeds \(seeds))"] + metrics]
            for model in modelNames(result) {
                rows.append([model] + metrics.map { ReportNumberFormat.cell(statistic(point, model, $0), format: ReportNumberFormat.metric) })
            }
            for model in modelNames(result) where model != reference {
                rows.append(["\(model) − \(reference)"] + metrics.map { differenceCell(difference(point, model, reference, $0)) })
            }
            let widths = metrics.indices.map { column in rows.map { $0[column + 1].count }.max() ?? 0 }
            let first = rows.map { $0[0].count }.max() ?? 0
            for row in rows {
                text += row[0].padding(toLength: first, withPad: " ", startingAt: 0)
                for (column, cell) in row.dropFirst().enumerated() {
                    text += "  " + String(repeating: " ", count: widths[column] - cell.count) + cell
                }
                text += "\n"
            }
        }
        return text
    }

    /// One SVG per metric, `curve-<metric>.svg`: each model's mean against the training rows.
    public static func charts(_ result: LearningCurve.Result) -> [String: String] {
        var charts: [String: String] = [:]
        let rows = result.points.map { Double($0.trainingRows.reduce(0, +)) / Double(max($0.trainingRows.count, 1)) }
        for metric in metricNames(result) {
            let series = modelNames(result).map { model in
                LineChart.Series(
                    label: model,
                    points: zip(rows, result.points).compactMap { rows, point in
                        statistic(point, model, metric).mean.map { (x: rows, y: $0) }
                    },
                    spreads: result.points.map { statistic($0, model, metric).standardDeviation ?? 0 })
            }
            let seeds = result.configuration.experiment.seeds.count
            charts["curve-\(metric).svg"] = LineChart.svg(
                title: "\(metric) against the amount of data",
                subtitle: "\(result.configuration.scenario) worlds of \(result.points.map(\.size.label).joined(separator: ", ")) users × days; mean over \(seeds) seeds, bars ± 1 sd",
                xTitle: "training rows", yTitle: metric, series: series)
        }
        return charts
    }

    /// The result as pretty-printed JSON (NaN as `"nan"`, as ``ExperimentReport/json(_:)``).
    public static func json(_ result: LearningCurve.Result) throws -> String {
        String(decoding: try ExperimentReport.encoder().encode(result), as: UTF8.self)
    }

    /// Writes `curve.json`, `curve.md` and the charts into `directory` (each file atomically).
    @discardableResult
    public static func write(_ result: LearningCurve.Result, to directory: String) throws -> [String] {
        try AtomicFile.createDirectory(directory)
        let files = [("curve.json", try json(result)), ("curve.md", markdown(result))] + charts(result).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return try files.map { name, text in
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            try AtomicFile.write(Data(text.utf8), to: path)
            return path
        }
    }

    /// `model`'s `metric` over its seeds at one size.
    static func statistic(_ point: LearningCurve.Point, _ model: String, _ metric: String) -> ExperimentSummary.Statistic {
        ExperimentSummary.Statistic(values: point.result.runs.filter { $0.model == model }.map { $0.metrics[metric] ?? .nan })
    }

    /// `model − reference` per seed (the seeds both ran), over those seeds.
    static func difference(_ point: LearningCurve.Point, _ model: String, _ reference: String, _ metric: String) -> ExperimentSummary.Statistic {
        let references = Dictionary(
            point.result.runs.filter { $0.model == reference }.map { ($0.seed, $0.metrics[metric] ?? .nan) }, uniquingKeysWith: { $1 })
        return ExperimentSummary.Statistic(values: point.result.runs.filter { $0.model == model }.compactMap { run in
            references[run.seed].map { (run.metrics[metric] ?? .nan) - $0 }
        })
    }

    /// `(truth_auc − 0.5) / (truth_auc_ceiling − 0.5)` per seed.
    static func share(_ point: LearningCurve.Point, _ model: String) -> ExperimentSummary.Statistic {
        ExperimentSummary.Statistic(values: point.result.runs.filter { $0.model == model }.map { run in
            guard let auc = run.metrics["truth_auc"], let ceiling = run.metrics["truth_auc_ceiling"], ceiling > 0.5 else { return .nan }
            return (auc - 0.5) / (ceiling - 0.5)
        })
    }

    private static func metricNames(_ result: LearningCurve.Result) -> [String] {
        result.points.first?.result.metricNames.filter { $0 != "truth_auc_ceiling" } ?? []
    }

    private static func modelNames(_ result: LearningCurve.Result) -> [String] {
        result.configuration.experiment.models.map(\.name)
    }

    private static func row(_ model: String, _ cells: [String]) -> String {
        "| \(model) | " + cells.joined(separator: " | ") + " |\n"
    }

    /// `+0.0123 ± 0.0045`: the mean with its sign, both with four decimals (a difference
    /// near 0 reads `+0.0000`, not in scientific notation).
    private static func differenceCell(_ statistic: ExperimentSummary.Statistic) -> String {
        ReportNumberFormat.cell(statistic) { String(format: "%+.4f", $0 + 0) }.replacingOccurrences(of: "± +", with: "± ")
    }

    private static func percent(_ value: Double) -> String {
        String(format: "%.1f %%", value * 100)
    }
}
