import Foundation

/// How the report writes numbers: metrics with four decimals, throughput with thousands
/// separators, and an em dash for a value that is missing.
enum ReportNumberFormat {
    /// The mark for a missing or undefined value.
    static let missing = "—"

    /// A metric value: four decimals below 1,000 (`0.7123`, `1.0240`), a grouped integer from
    /// 1,000 up (`12,345`), and scientific notation for tiny non-zero values (`3.1e-06`) so that
    /// they do not print as `0.0000`.
    static func metric(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        let magnitude = abs(value)
        if magnitude >= 1000 { return grouped(value) }
        if magnitude != 0, magnitude < 0.0001 { return String(format: "%.1e", value) }
        return String(format: "%.4f", value + 0)  // `+ 0` turns −0 into 0.
    }

    /// Samples per second: a grouped integer (`48,210`), with one decimal below 100.
    static func throughput(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        if abs(value) < 100 { return String(format: "%.1f", value + 0) }
        return grouped(value)
    }

    /// `value` rounded to an integer with a comma every three digits: `1234567.8` → `1,234,568`.
    static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        let rounded = value.rounded()
        guard abs(rounded) < 1e18 else { return String(format: "%.3e", value) }
        let digits = String(Int64(abs(rounded)))
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return rounded < 0 ? "-" + result : result
    }

    /// A table cell `mean ± std`: `± —` for a single value, `—` for none, and `(n=k)` when some
    /// seeds had no value.
    static func cell(
        _ statistic: ExperimentSummary.Statistic, format: (Double) -> String
    ) -> String {
        guard let mean = statistic.mean else { return missing }
        let spread = statistic.standardDeviation.map(format) ?? missing
        let used = statistic.missing > 0 ? " (n=\(statistic.count))" : ""
        return "\(format(mean)) ± \(spread)\(used)"
    }

    /// A tick label for a chart axis whose ticks are `step` apart: enough decimals to tell
    /// neighbouring ticks apart and no more (`0.70`, `0.75`; `200`, `400`; `12,000`).
    static func tick(_ value: Double, step: Double) -> String {
        guard value.isFinite, step.isFinite, step > 0 else { return "" }
        let decimals = max(0, min(8, Int((-log10(step)).rounded(.up))))
        if decimals == 0 {
            return abs(value) >= 10_000 ? grouped(value) : String(Int64(value.rounded()))
        }
        let text = String(format: "%.\(decimals)f", value + 0)
        return text == "-" + String(format: "%.\(decimals)f", 0.0) ? String(text.dropFirst()) : text
    }
}
