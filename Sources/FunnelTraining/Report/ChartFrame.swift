import Foundation

/// Evenly spaced "nice" tick values (steps of 1, 2 or 5 times a power of ten) that cover a
/// range, as a person would number an axis.
struct ChartTicks {
    let values: [Double]
    let step: Double

    var lower: Double { values[0] }
    var upper: Double { values[values.count - 1] }

    /// About `count` ticks from at or below `lower` to at or above `upper`; an empty or
    /// non-finite range is widened so that there are always at least two ticks.
    init(covering lower: Double, _ upper: Double, count: Int = 5) {
        var low = lower.isFinite ? lower : 0
        var high = upper.isFinite ? upper : 1
        if high < low { swap(&low, &high) }
        if high - low < 1e-12 {
            let pad = max(abs(low) * 0.01, 1e-3)
            low -= pad
            high += pad
        }
        let rough = (high - low) / Double(max(count, 1))
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let residual = rough / magnitude
        let nice: Double = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10
        let step = nice * magnitude
        self.step = step
        // The tolerance keeps a bound that is already a tick (0, 1) from gaining one beyond it.
        let first = (low / step + 1e-9).rounded(.down)
        let last = (high / step - 1e-9).rounded(.up)
        // Multiplying an index by the step, rather than adding steps, keeps 0.3 from becoming
        // 0.30000000000000004.
        values = stride(from: first, through: last, by: 1).map { $0 * step }
    }

    func label(_ value: Double) -> String { ReportNumberFormat.tick(value, step: step) }
}

/// The plotting rectangle of a chart and the mapping from data to pixels, with the axes,
/// grid, titles and legend drawn around it.
struct ChartFrame {
    let left: Double
    let top: Double
    let width: Double
    let height: Double
    let x: ClosedRange<Double>
    let y: ClosedRange<Double>

    var right: Double { left + width }
    var bottom: Double { top + height }

    static let tickSize = 11.0
    static let titleSize = 15.0
    static let axisTitleSize = 12.5
    static let legendRow = 18.0

    func xPosition(_ value: Double) -> Double {
        let span = x.upperBound - x.lowerBound
        return left + (span > 0 ? (value - x.lowerBound) / span : 0.5) * width
    }

    func yPosition(_ value: Double) -> Double {
        let span = y.upperBound - y.lowerBound
        return bottom - (span > 0 ? (value - y.lowerBound) / span : 0.5) * height
    }

    /// The room the y tick labels and the rotated y-axis title need left of the plot.
    static func leftMargin(for ticks: ChartTicks) -> Double {
        let widest = ticks.values.map { ChartCanvas.textWidth(ticks.label($0), size: tickSize) }
        return (widest.max() ?? 0) + 44
    }

    /// Grid lines and tick labels for `yTicks` (and `xTicks` when the x axis is numeric), the
    /// axis lines, and both axis titles.
    func drawAxes(
        on canvas: inout ChartCanvas, xTicks: ChartTicks?, yTicks: ChartTicks,
        xTitle: String, yTitle: String
    ) {
        for value in yTicks.values {
            let position = yPosition(value)
            canvas.line(from: (left, position), to: (right, position), stroke: ChartCanvas.grid)
            canvas.line(from: (left - 5, position), to: (left, position))
            canvas.text(
                yTicks.label(value), x: left - 8, y: position + 4, size: Self.tickSize,
                anchor: "end")
        }
        for value in xTicks?.values ?? [] {
            let position = xPosition(value)
            canvas.line(from: (position, top), to: (position, bottom), stroke: ChartCanvas.grid)
            canvas.line(from: (position, bottom), to: (position, bottom + 5))
            canvas.text(
                xTicks?.label(value) ?? "", x: position, y: bottom + 18, size: Self.tickSize,
                anchor: "middle")
        }
        canvas.line(from: (left, top), to: (left, bottom))
        canvas.line(from: (left, bottom), to: (right, bottom))
        if xTicks != nil {
            canvas.text(
                xTitle, x: left + width / 2, y: bottom + 40, size: Self.axisTitleSize,
                anchor: "middle", bold: true)
        }
        let widest = yTicks.values.map {
            ChartCanvas.textWidth(yTicks.label($0), size: Self.tickSize)
        }
        canvas.text(
            yTitle, x: left - (widest.max() ?? 0) - 22, y: top + height / 2,
            size: Self.axisTitleSize, anchor: "middle", bold: true, rotation: -90)
    }

    /// The chart's title centred at the top, with an optional grey subtitle below it.
    static func drawTitle(on canvas: inout ChartCanvas, _ title: String, subtitle: String?) {
        canvas.text(
            title, x: canvas.width / 2, y: 24, size: titleSize, anchor: "middle", bold: true)
        if let subtitle {
            canvas.text(
                subtitle, x: canvas.width / 2, y: 42, size: 11, anchor: "middle", fill: "#666666")
        }
    }

    /// The width a legend of `labels` takes: a line sample, a gap, the longest label.
    static func legendWidth(_ labels: [String]) -> Double {
        (labels.map { ChartCanvas.textWidth($0) }.max() ?? 0) + 40
    }

    /// A legend of line samples, one row per entry, starting at `(x, y)`.
    static func drawLegend(
        on canvas: inout ChartCanvas, _ entries: [(label: String, color: String, dash: String?)],
        x: Double, y: Double
    ) {
        for (row, entry) in entries.enumerated() {
            let middle = y + Double(row) * legendRow
            canvas.line(
                from: (x, middle - 4), to: (x + 22, middle - 4), stroke: entry.color, width: 3,
                dash: entry.dash)
            canvas.text(entry.label, x: x + 28, y: middle, size: 12)
        }
    }
}
