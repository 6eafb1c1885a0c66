import ArgumentParser
import Foundation
import FunnelData
import FunnelMetrics

/// `funnel metrics FILE.csv --label click --score score [--group user_id]`: evaluates any
/// system's predictions.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Evaluate predictions in a CSV file: AUC, logloss, calibration and GAUC.",
        discussion: """
            The file needs a header. Labels must be 0 or 1; scores may be probabilities (then logloss and calibration are reported too) or any real numbers. With --group, GAUC is reported with the three weightings of the USD paper — GAUC_avg (every group 1), GAUC_show (exposures) and GAUC_click (clicks) — and the groups dropped for having a single class.

            Example: funnel metrics predictions.csv --label click --score score --group user_id
            """)

    @Argument(help: "A CSV (or, with --delimiter, any delimited) file with a header.")
    var file: String

    @Option(help: "The column of 0/1 labels.")
    var label: String

    @Option(help: "The column of scores.")
    var score: String

    @Option(help: "A column to group rows by for GAUC (a user id).")
    var group: String?

    @Option(help: "The field delimiter.")
    var delimiter: String = ","

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        var columns = [
            ColumnSchema(name: label, kind: .label),
            ColumnSchema(name: score, kind: .dense),
        ]
        if let group {
            columns.append(ColumnSchema(name: group, kind: .categorical, role: .group, vocabulary: .built(minimumCount: 1)))
        }
        // Labels and scores are checked as they are read, so that a bad value is reported with
        // its file, line and column.
        let (table, report, lines) = try Dataset.readLocatedTable(
            path: file, columns: columns, delimiter: delimiter, checks: [label: .binary, score: .finite])
        guard let labelColumn = table.column(label)?.values.floats, let scoreColumn = table.column(score)?.values.floats
        else { throw ValidationError("\(file): the label and score columns could not be read") }
        let labels = labelColumn.buffer.map(Double.init)
        let scores = scoreColumn.buffer.map(Double.init)
        let groups = group.map { table.column($0)?.keys?.array ?? [] }
        let evaluation: BinaryEvaluation
        do {
            evaluation = try BinaryEvaluation(scores: scores, labels: labels, groups: groups)
        } catch {
            throw MetricsInputError(file: file, line: error.rowIndex.flatMap { lines.indices.contains($0) ? lines[$0] : nil }, error: error)
        }
        if json {
            let object = Dictionary(uniqueKeysWithValues: evaluation.values.map { ($0.name, $0.value) })
            print(try encodeJSON(object))
        } else {
            print(report.summary)
            if group != nil {
                print("GAUC protocol: groups by '\(group!)'; groups whose labels are all 0 or all 1 are dropped")
            }
            for (name, value) in evaluation.values {
                let isCount = ["rows", "positives", "groups_used", "groups_dropped", "rows_in_dropped_groups"].contains(name)
                print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + (isCount ? String(Int(value)) : String(format: "%.6f", value)))
            }
        }
    }
}

/// A metric that could not be computed on a file's rows, located in the file.
struct MetricsInputError: Error, CustomStringConvertible {
    let file: String
    let line: Int?
    let error: MetricError

    var description: String {
        (line.map { "\(file):\($0): " } ?? "\(file): ") + error.description
    }
}
