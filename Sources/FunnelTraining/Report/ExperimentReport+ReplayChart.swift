import Foundation

extension ExperimentReport {
    /// `replay-<metric>.svg` for each chunk metric a replay recorded (`auc`, `truth_auc`,
    /// `logloss`): the metric of every chunk in time order, one colour per model, each seed as
    /// a thin faint line and the mean over seeds as a thick one (adaptation.md §2.4).
    static func replayCharts(_ result: ExperimentResult) -> [String: String] {
        var charts: [String: String] = [:]
        for metric in ["auc", "truth_auc", "logloss"] where result.runs.contains(where: { $0.metrics["replay_chunk1_\(metric)"] != nil }) {
            charts["replay-\(metric.replacingOccurrences(of: "_", with: "-")).svg"] = replayChart(metric, result: result)
        }
        return charts
    }

    /// A run's chunk metric, chunk 1 first, as (chunk, value) points.
    static func replaySeries(_ run: RunResult, metric: String) -> [(step: Double, loss: Double)] {
        var points: [(step: Double, loss: Double)] = []
        var chunk = 1
        while let value = run.metrics["replay_chunk\(chunk)_\(metric)"] {
            if value.isFinite { points.append((Double(chunk), value)) }
            chunk += 1
        }
        return points
    }

    static func replayChart(_ metric: String, result: ExperimentResult) -> String {
        let groups = result.runsByModel()
        let series = groups.map { group in group.runs.map { replaySeries($0, metric: metric) } }
        let points = series.flatMap { $0.flatMap { $0 } }
        let xTicks = ChartTicks(covering: points.map(\.step).min() ?? 0, points.map(\.step).max() ?? 1, count: 6)
        let yTicks = ChartTicks(covering: points.map(\.loss).min() ?? 0, points.map(\.loss).max() ?? 1, count: 6)
        let legend = groups.enumerated().map {
            (label: $1.model, color: ChartPalette.color($0), dash: ChartPalette.dash($0))
        }
        let frame = ChartFrame(
            left: ChartFrame.leftMargin(for: yTicks), top: 60, width: 560,
            height: max(340, Double(legend.count) * ChartFrame.legendRow + 10),
            x: xTicks.lower...xTicks.upper, y: yTicks.lower...yTicks.upper)
        var canvas = ChartCanvas(
            width: frame.right + 28 + ChartFrame.legendWidth(legend.map(\.label)) + 12, height: frame.bottom + 58)
        ChartFrame.drawTitle(
            on: &canvas, "Replay \(metric) by chunk — \(result.dataset)",
            subtitle: "chunks in time order, each scored before its labels were learnt; thick: mean over seeds (moving average of 5 chunks); thin: each seed")
        frame.drawAxes(on: &canvas, xTicks: xTicks, yTicks: yTicks, xTitle: "Chunk", yTitle: metric)
        if points.isEmpty { drawNoData(on: &canvas, frame: frame, "no replay recorded") }
        for (index, runs) in series.enumerated() {
            let color = ChartPalette.color(index)
            func pixels(_ curve: [(step: Double, loss: Double)]) -> [(x: Double, y: Double)] {
                thinned(curve).map { (frame.xPosition($0.step), frame.yPosition($0.loss)) }
            }
            if runs.count > 1 {
                for run in runs { canvas.polyline(pixels(run), stroke: color, width: 1, opacity: 0.25) }
            }
            var sums: [Double: (total: Double, count: Double)] = [:]
            for run in runs { for point in run { sums[point.step, default: (0, 0)].total += point.loss; sums[point.step]!.count += 1 } }
            let mean = sums.keys.sorted().map { (step: $0, loss: sums[$0]!.total / sums[$0]!.count) }
            canvas.polyline(pixels(movingAverage(mean, window: 5)), stroke: color, width: 2.2, dash: ChartPalette.dash(index))
        }
        ChartFrame.drawLegend(on: &canvas, legend, x: frame.right + 28, y: frame.top + 12)
        return canvas.render()
    }
}
