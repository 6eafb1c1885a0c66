import Foundation

extension ExperimentReport {
    /// The experiment's charts as SVG documents, by file name.
    ///
    /// - `training-curves.svg`: training loss by step, one colour per model, each seed as a
    ///   thin faint line and the mean over seeds as a thick one.
    /// - `roc.svg`: one ROC curve per model (the first seed bold, other seeds faint) with the
    ///   chance diagonal; the legend gives each model's AUC (the `auc` metric's mean, or the area
    ///   under the recorded curves when there is no such metric).
    /// - `metric-<name>.svg` (see ``metricChartFileName(_:)``): per model, the mean over seeds
    ///   as a dot with ±1 standard deviation error bars, each seed as a small faint dot, and the
    ///   mean written above; the y axis is zoomed to the data.
    /// - `replay-<metric>.svg`: a replay's chunk metric over time (``replayCharts(_:)``).
    ///
    /// Each chart has a title, axis titles, tick labels and a legend or labelled x axis, on a
    /// white background, in a fixed palette. Model names are escaped; the charts grow to fit
    /// more or longer names, rotating the x labels of the metric charts when they would touch.
    ///
    /// - Parameter result: The experiment.
    /// - Returns: File name → SVG text (UTF-8 XML).
    public static func charts(_ result: ExperimentResult) -> [String: String] {
        let summary = summary(result)
        var charts = [
            trainingCurvesFileName: trainingCurvesChart(result),
            rocFileName: rocChart(result, summary: summary),
        ]
        for metric in result.metricNames {
            charts[metricChartFileName(metric)] = metricChart(
                metric, result: result, summary: summary)
        }
        charts.merge(replayCharts(result)) { $1 }
        return charts
    }

    static func trainingCurvesChart(_ result: ExperimentResult) -> String {
        let groups = result.runsByModel()
        let points = groups.flatMap { $0.runs.flatMap(\.curve) }.filter { $0.loss.isFinite }
        let steps = points.map { Double($0.step) }
        let losses = points.map(\.loss)
        let xTicks = ChartTicks(covering: steps.min() ?? 0, steps.max() ?? 1, count: 6)
        let yTicks = ChartTicks(covering: losses.min() ?? 0, losses.max() ?? 1, count: 6)
        let legend = groups.enumerated().map {
            (label: $1.model, color: ChartPalette.color($0), dash: ChartPalette.dash($0))
        }
        let left = ChartFrame.leftMargin(for: yTicks)
        let plotHeight = max(340, Double(legend.count) * ChartFrame.legendRow + 10)
        let frame = ChartFrame(
            left: left, top: 60, width: 560, height: plotHeight,
            x: xTicks.lower...xTicks.upper, y: yTicks.lower...yTicks.upper)
        var canvas = ChartCanvas(
            width: frame.right + 28 + ChartFrame.legendWidth(legend.map(\.label)) + 12,
            height: frame.bottom + 58)
        // Per-step losses are noisy: the thick line is smoothed over about 2% of the steps
        // (at least 3 points), and the seeds fade as models multiply, so ten models stay legible.
        let longest = groups.map { meanCurve($0.runs).count }.max() ?? 0
        let window = longest >= 100 ? max(3, longest / 50) | 1 : 1
        let seedOpacity = groups.count > 4 ? 0.18 : 0.35
        let smoothing = window > 1 ? ", moving average of \(window) points" : ""
        ChartFrame.drawTitle(
            on: &canvas, "Training loss — \(result.dataset)",
            subtitle: "thick: mean over seeds\(smoothing); thin: each seed")
        frame.drawAxes(
            on: &canvas, xTicks: xTicks, yTicks: yTicks, xTitle: "Training step",
            yTitle: "Training loss")
        if points.isEmpty { drawNoData(on: &canvas, frame: frame, "no training curve recorded") }
        for (index, group) in groups.enumerated() {
            let color = ChartPalette.color(index)
            let dash = ChartPalette.dash(index)
            func pixels(_ curve: [(step: Double, loss: Double)]) -> [(x: Double, y: Double)] {
                thinned(curve).map { (frame.xPosition($0.step), frame.yPosition($0.loss)) }
            }
            if group.runs.count > 1 {
                for run in group.runs {
                    let curve = run.curve.map { (step: Double($0.step), loss: $0.loss) }
                    canvas.polyline(
                        pixels(curve), stroke: color, width: 1, opacity: seedOpacity)
                }
            }
            canvas.polyline(
                pixels(movingAverage(meanCurve(group.runs), window: window)), stroke: color,
                width: 2.2, dash: dash)
        }
        ChartFrame.drawLegend(on: &canvas, legend, x: frame.right + 28, y: frame.top + 12)
        return canvas.render()
    }

    static func rocChart(_ result: ExperimentResult, summary: ExperimentSummary) -> String {
        let groups = result.runsByModel()
        let ticks = ChartTicks(covering: 0, 1, count: 5)
        let legend = groups.enumerated().map { index, group in
            let auc =
                result.metricNames.contains("auc")
                ? summary.models[index].statistic("auc").mean
                : ExperimentSummary.Statistic(
                    values: group.runs.filter { $0.roc.count > 1 }.map { area(under: $0.roc) }
                ).mean
            let text = auc.map { "AUC \(ReportNumberFormat.metric($0))" } ?? "AUC —"
            return (
                label: "\(group.model) (\(text))", color: ChartPalette.color(index),
                dash: ChartPalette.dash(index)
            )
        }
        let plotSize = max(380, Double(legend.count) * ChartFrame.legendRow + 10)
        let frame = ChartFrame(
            left: ChartFrame.leftMargin(for: ticks), top: 60, width: plotSize,
            height: plotSize, x: 0...1, y: 0...1)
        var canvas = ChartCanvas(
            width: frame.right + 28 + ChartFrame.legendWidth(legend.map(\.label)) + 12,
            height: frame.bottom + 58)
        ChartFrame.drawTitle(
            on: &canvas, "ROC — \(result.dataset)",
            subtitle: "bold: first seed; faint: other seeds; dashed: chance")
        frame.drawAxes(
            on: &canvas, xTicks: ticks, yTicks: ticks, xTitle: "False-positive rate",
            yTitle: "True-positive rate")
        canvas.line(
            from: (frame.left, frame.bottom), to: (frame.right, frame.top), stroke: "#999999",
            dash: "5 4")
        if !result.runs.contains(where: { $0.roc.count > 1 }) {
            drawNoData(on: &canvas, frame: frame, "no ROC curve recorded")
        }
        for (index, group) in groups.enumerated() {
            let curves = group.runs.map(\.roc).filter { $0.count > 1 }
            for (seed, curve) in curves.enumerated().reversed() {
                let pixels = curve.map {
                    (
                        x: frame.xPosition($0.falsePositiveRate),
                        y: frame.yPosition($0.truePositiveRate)
                    )
                }
                canvas.polyline(
                    pixels, stroke: ChartPalette.color(index), width: seed == 0 ? 2.2 : 1,
                    opacity: seed == 0 ? 1 : 0.35, dash: seed == 0 ? ChartPalette.dash(index) : nil)
            }
        }
        ChartFrame.drawLegend(on: &canvas, legend, x: frame.right + 28, y: frame.top + 12)
        return canvas.render()
    }

    /// The mean loss over the runs at each step any of them recorded, in step order.
    static func meanCurve(_ runs: [RunResult]) -> [(step: Double, loss: Double)] {
        var losses: [Int: [Double]] = [:]
        for run in runs {
            for point in run.curve where point.loss.isFinite {
                losses[point.step, default: []].append(point.loss)
            }
        }
        return losses.keys.sorted().map { step in
            let values = losses[step] ?? []
            return (Double(step), values.reduce(0, +) / Double(max(values.count, 1)))
        }
    }

    /// Each loss replaced by the mean of the `window` points centred on it (fewer at the ends).
    static func movingAverage(
        _ curve: [(step: Double, loss: Double)], window: Int
    ) -> [(step: Double, loss: Double)] {
        guard window > 1 else { return curve }
        let half = window / 2
        return curve.indices.map { index in
            let neighbours = curve[max(0, index - half)...min(curve.count - 1, index + half)]
            return (
                curve[index].step, neighbours.map(\.loss).reduce(0, +) / Double(neighbours.count)
            )
        }
    }

    /// At most `maximum` points of a long curve, each the mean of a run of neighbours, so that
    /// an SVG of a million steps stays small and shows the trend rather than the noise.
    static func thinned(
        _ curve: [(step: Double, loss: Double)], maximum: Int = 600
    ) -> [(step: Double, loss: Double)] {
        let finite = curve.filter { $0.step.isFinite && $0.loss.isFinite }
        guard finite.count > maximum else { return finite }
        let bucket = Double(finite.count) / Double(maximum)
        return (0..<maximum).map { index in
            let end = index == maximum - 1 ? finite.count : Int(Double(index + 1) * bucket)
            let slice = finite[Int(Double(index) * bucket)..<end]
            let count = Double(slice.count)
            return (slice.map(\.step).reduce(0, +) / count, slice.map(\.loss).reduce(0, +) / count)
        }
    }

    static func drawNoData(on canvas: inout ChartCanvas, frame: ChartFrame, _ message: String) {
        canvas.text(
            message, x: frame.left + frame.width / 2, y: frame.top + frame.height / 2, size: 13,
            anchor: "middle", fill: "#888888")
    }
}
