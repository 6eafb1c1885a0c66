import Foundation

/// Renders an ``ExperimentResult`` for people and programs: a terminal table, a Markdown
/// document, JSON, and SVG charts, all from one ``ExperimentSummary``.
///
/// Every cell is `mean ± std` over a model's seeds, with the sample standard deviation
/// (divisor `n − 1`); a single seed shows `± —`, and a NaN value is left out of the mean and
/// flagged with the number of seeds that had one, `(n=2)`. Models appear in the order they
/// first appear among the runs, metrics in ``ExperimentResult/metricNames`` order.
///
/// ```swift
/// print(ExperimentReport.table(result))
/// let paths = try ExperimentReport.write(result, to: "runs/esmm-vs-mmoe")
/// ```
public enum ExperimentReport {
    /// The per-model per-metric statistics that the table, Markdown and JSON show.
    ///
    /// - Parameter result: The experiment.
    /// - Returns: The mean, sample standard deviation and count of every metric and of the
    ///   training throughput, per model.
    public static func summary(_ result: ExperimentResult) -> ExperimentSummary {
        ExperimentSummary(result)
    }

    /// A plain-text table for a terminal: the dataset and protocol lines, then one row per
    /// model with `mean ± std` for each metric and for training samples per second, and the
    /// number of seeds.
    ///
    /// - Parameter result: The experiment.
    /// - Returns: Lines separated by `\n`, ending with a newline; columns padded with spaces.
    public static func table(_ result: ExperimentResult) -> String {
        var lines = ["Experiment: \(result.dataset)"]
        if !result.protocolDescription.isEmpty {
            lines.append("Protocol:")
            lines += result.protocolDescription.map { "  \($0)" }
        }
        lines.append("")
        let rows = [headerCells(result)] + bodyRows(summary(result))
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        func render(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                // The model name reads left-aligned, numbers right-aligned.
                return column == 0 ? cell + padding : padding + cell
            }
            return padded.joined(separator: "  ").trimmingTrailingSpaces()
        }
        lines.append(render(rows[0]))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += rows.dropFirst().map(render)
        lines.append("")
        lines.append(footnote)
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown document: a title naming the dataset, the protocol as a list, the table, and
    /// the charts of ``charts(_:)`` as images linked by their file names.
    ///
    /// - Parameter result: The experiment.
    /// - Returns: GitHub-flavoured Markdown; `|` in names is escaped inside the table.
    public static func markdown(_ result: ExperimentResult) -> String {
        var lines = ["# Experiment: \(result.dataset)", ""]
        if !result.protocolDescription.isEmpty {
            lines += ["## Protocol", ""]
            lines += result.protocolDescription.map { "- \($0)" }
            lines.append("")
        }
        lines += ["## Results", ""]
        let header = headerCells(result)
        func render(_ cells: [String]) -> String {
            "| "
                + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }
                .joined(separator: " | ") + " |"
        }
        lines.append(render(header))
        lines.append("|" + header.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined())
        lines += bodyRows(summary(result)).map(render)
        lines += ["", footnote, "", "## Charts", ""]
        for (title, file) in chartLinks(result) {
            lines.append("[![\(title)](\(file))](\(file))")
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// The file name of the chart of `metric`: `metric-` and the name with every character
    /// other than a letter, digit, `.`, `_` or `-` replaced by `-` (`gauc@user` →
    /// `metric-gauc-user.svg`).
    ///
    /// - Parameter metric: A metric name from ``ExperimentResult/metricNames``.
    public static func metricChartFileName(_ metric: String) -> String {
        let safe = metric.unicodeScalars.map { scalar -> Character in
            let allowed =
                scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "._-".unicodeScalars.contains(scalar))
            return allowed ? Character(scalar) : "-"
        }
        return "metric-\(String(safe)).svg"
    }

    /// The file name of the training-loss chart.
    public static let trainingCurvesFileName = "training-curves.svg"
    /// The file name of the ROC chart.
    public static let rocFileName = "roc.svg"

    // MARK: Shared by the table and the Markdown

    static let footnote =
        "Cells are mean ± sample standard deviation over seeds; — marks a missing value "
        + "(± — a single seed); (n=k) means only k seeds had a value."

    static func headerCells(_ result: ExperimentResult) -> [String] {
        ["Model"] + result.metricNames + ["samples/s", "seeds"]
    }

    static func bodyRows(_ summary: ExperimentSummary) -> [[String]] {
        summary.models.map { model in
            [model.name]
                + summary.metricNames.map {
                    ReportNumberFormat.cell(model.statistic($0), format: ReportNumberFormat.metric)
                }
                + [
                    ReportNumberFormat.cell(
                        model.samplesPerSecond, format: ReportNumberFormat.throughput),
                    String(model.seeds.count),
                ]
        }
    }

    /// Each chart's title and file name, in the order the Markdown shows them.
    static func chartLinks(_ result: ExperimentResult) -> [(title: String, file: String)] {
        [("Training loss", trainingCurvesFileName), ("ROC", rocFileName)]
            + result.metricNames.map { ($0, metricChartFileName($0)) }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
