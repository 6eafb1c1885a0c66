import Foundation
import FunnelData
import FunnelModels
import FunnelSimulation

/// `funnel bench watch-time-labels`: the time to fit each watch-time label of watchtime.md
/// (§0.5 and D2Co, §1) on a simulated training split and compute it for every row.
public enum WatchTimeLabelBenchmark {
    public struct Result: Codable, Sendable {
        public var label: String
        public var rows: Int
        public var fitSeconds: Double
        public var applySeconds: Double
        public var rowsPerSecond: Double
        public var meanLabel: Double
    }

    /// Simulates the `watchtime` world until its training split holds at least `rows`
    /// exposures, then fits and applies every label kind (on one thread: the labels are plain
    /// loops over the rows).
    public static func run(rows: Int, directory: String) throws -> [Result] {
        // ≈ 56 training exposures per user over 14 days at the default knobs.
        let users = Swift.max(1, rows / 50)
        let output = directory + "/watch-time-labels-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try ScenarioKind.watchtime.simulate(users: users, days: 14, seed: 1).write(to: output)
        let dataset = try Dataset.load(output)
        let watchTimes = Array(try dataset.rowValues(split: "train", column: "watch_time").prefix(rows))
        let durations = Array(try dataset.rowValues(split: "train", column: "duration").prefix(rows))
        let options = WatchTimeLabel.Options()
        let results = try WatchTimeLabel.Kind.allCases.map { kind in
            let start = DispatchTime.now()
            let label = try WatchTimeLabel.fit(kind, watchTimes: watchTimes, durations: durations, options: options)
            let fitted = DispatchTime.now()
            let values = label.values(watchTimes: watchTimes, durations: durations, options: options)
            let end = DispatchTime.now()
            let fitSeconds = Double(fitted.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let applySeconds = Double(end.uptimeNanoseconds - fitted.uptimeNanoseconds) / 1e9
            return Result(
                label: kind.rawValue, rows: watchTimes.count, fitSeconds: fitSeconds, applySeconds: applySeconds,
                rowsPerSecond: Double(watchTimes.count) / (fitSeconds + applySeconds),
                meanLabel: values.labels.reduce(0) { $0 + Double($1) } / Double(Swift.max(values.labels.count, 1)))
        }
        return results
    }

    public static func table(_ results: [Result]) -> String {
        var lines = ["label        rows      fit s   apply s   total s    rows/s   mean label"]
        for result in results {
            lines.append(String(
                format: "%@ %9d %9.3f %9.3f %9.3f %9.0f %12.4f", result.label.padding(toLength: 10, withPad: " ", startingAt: 0),
                result.rows, result.fitSeconds, result.applySeconds, result.fitSeconds + result.applySeconds,
                result.rowsPerSecond, result.meanLabel))
        }
        let total = results.reduce(0) { $0 + $1.fitSeconds + $1.applySeconds }
        lines.append(String(format: "All labels: %.3f s. Fit on the training split of the simulated watchtime world and applied to the same rows, one thread.", total))
        return lines.joined(separator: "\n")
    }
}
