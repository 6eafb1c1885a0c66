import Foundation

extension ExperimentReport {
    /// The chart of one metric: per model, the mean as a dot with ±1 std error bars, the seeds
    /// as small faint dots, and the mean written above the bar.
    ///
    /// Dots rather than bars, because the y axis is zoomed to the data (AUCs of 0.71 and 0.72
    /// would be indistinguishable on an axis from 0), and a bar's length would then mislead.
    static func metricChart(
        _ metric: String, result: ExperimentResult, summary: ExperimentSummary
    ) -> String {
        let groups = result.runsByModel()
        let statistics = summary.models.map { $0.statistic(metric) }
        let seedValues = groups.map { group in
            group.runs.compactMap { $0.metrics[metric] }.filter(\.isFinite)
        }
        var extremes = seedValues.flatMap { $0 }
        for statistic in statistics {
            guard let mean = statistic.mean else { continue }
            let spread = statistic.standardDeviation ?? 0
            extremes += [mean - spread, mean + spread]
        }
        let low = extremes.min() ?? 0
        let high = extremes.max() ?? 1
        let span = extremes.isEmpty ? 0 : high - low
        // Headroom above for the value labels, and no negative axis for a metric that has none.
        var lower = low - 0.08 * span
        if low >= 0, lower < 0 { lower = 0 }
        let ticks = ChartTicks(covering: lower, high + 0.2 * span, count: 5)

        let labelSize = 11.5
        // Slots of at least 68 pixels, wider when there are few models.
        let slot = max(68, 360 / Double(max(groups.count, 1)))
        let labelWidths = groups.map { ChartCanvas.textWidth($0.model, size: labelSize) }
        let rotate = (labelWidths.max() ?? 0) > slot - 10
        let angle = 40.0 * Double.pi / 180
        let labelDepth = rotate ? (labelWidths.max() ?? 0) * sin(angle) + labelSize : labelSize
        // A rotated label reaches left of its slot; the first one must stay on the canvas.
        let overhang = rotate ? (labelWidths.first ?? 0) * cos(angle) - slot / 2 + 12 : 0
        let left = max(ChartFrame.leftMargin(for: ticks), overhang)
        let frame = ChartFrame(
            left: left, top: 60, width: slot * Double(max(groups.count, 1)), height: 300,
            x: 0...Double(max(groups.count, 1)), y: ticks.lower...ticks.upper)
        let title = "\(metric) by model — \(result.dataset)"
        let subtitle = "dot: mean over seeds; bar: ±1 standard deviation; small dots: each seed"
        let titleWidth = max(
            ChartCanvas.textWidth(title, size: ChartFrame.titleSize),
            ChartCanvas.textWidth(subtitle, size: 11))
        var canvas = ChartCanvas(
            width: max(frame.right + 24, titleWidth + 40),
            height: frame.bottom + 20 + labelDepth + 34)
        ChartFrame.drawTitle(on: &canvas, title, subtitle: subtitle)
        frame.drawAxes(on: &canvas, xTicks: nil, yTicks: ticks, xTitle: "", yTitle: metric)
        if extremes.isEmpty {
            drawNoData(
                on: &canvas, frame: frame,
                groups.isEmpty ? "no runs recorded" : "no finite value recorded")
        }

        for (index, group) in groups.enumerated() {
            let center = frame.xPosition(Double(index) + 0.5)
            let color = ChartPalette.color(index)
            canvas.line(from: (center, frame.bottom), to: (center, frame.bottom + 5))
            if rotate {
                canvas.text(
                    group.model, x: center + 4, y: frame.bottom + 16, size: labelSize,
                    anchor: "end", rotation: -40)
            } else {
                canvas.text(
                    group.model, x: center, y: frame.bottom + 18, size: labelSize,
                    anchor: "middle")
            }
            let seeds = seedValues[index]
            for (seed, value) in seeds.enumerated() {
                // Spread the seeds a little sideways so that equal values stay visible.
                let offset =
                    seeds.count > 1 ? (Double(seed) / Double(seeds.count - 1) - 0.5) * 16 : 0
                canvas.circle(
                    center: (center + offset, frame.yPosition(value)), radius: 2.5, fill: color,
                    opacity: 0.45)
            }
            let statistic = statistics[index]
            guard let mean = statistic.mean else {
                if !extremes.isEmpty {
                    canvas.text(
                        "no value", x: center, y: frame.bottom - 8, size: 10.5, anchor: "middle",
                        fill: "#888888")
                }
                continue
            }
            var top = frame.yPosition(mean)
            if let spread = statistic.standardDeviation {
                top = frame.yPosition(mean + spread)
                let bottom = frame.yPosition(mean - spread)
                canvas.line(from: (center, top), to: (center, bottom), stroke: color, width: 1.6)
                canvas.line(
                    from: (center - 7, top), to: (center + 7, top), stroke: color, width: 1.6)
                canvas.line(
                    from: (center - 7, bottom), to: (center + 7, bottom), stroke: color, width: 1.6)
            }
            canvas.circle(
                center: (center, frame.yPosition(mean)), radius: 5, fill: color, stroke: "#ffffff")
            // Above the highest mark of the model, a seed dot included, so nothing covers it.
            top = ([top] + seeds.map { frame.yPosition($0) - 2.5 }).min() ?? top
            canvas.text(
                ReportNumberFormat.metric(mean), x: center, y: max(top - 8, frame.top + 10),
                size: 11, anchor: "middle")
        }
        canvas.text(
            "Model", x: frame.left + frame.width / 2, y: frame.bottom + 20 + labelDepth + 16,
            size: ChartFrame.axisTitleSize, anchor: "middle", bold: true)
        return canvas.render()
    }
}
