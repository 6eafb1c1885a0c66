import Foundation

/// A line chart as an SVG document, for reports outside this target (ECPO's satisfaction per
/// turn): one line with markers per series, the report charts' axes, ticks, palette and legend.
public enum LineChart {
    /// One line: its legend label, its points in data coordinates and, optionally, a spread
    /// per point drawn as a bar of ± that much (empty: no bars).
    public struct Series: Sendable {
        public var label: String
        public var points: [(x: Double, y: Double)]
        public var spreads: [Double]

        public init(label: String, points: [(x: Double, y: Double)], spreads: [Double] = []) {
            self.label = label
            self.points = points
            self.spreads = spreads
        }
    }

    /// The SVG text of `series` on axes covering every finite point (and `yRange` when given).
    public static func svg(
        title: String, subtitle: String, xTitle: String, yTitle: String, series: [Series],
        yRange: ClosedRange<Double>? = nil
    ) -> String {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = points.map(\.x)
        let bars = series.flatMap { line in
            zip(line.points, line.spreads).flatMap { point, spread in [point.y - spread, point.y + spread] }
        }
        let ys = points.map(\.y) + bars.filter(\.isFinite) + (yRange.map { [$0.lowerBound, $0.upperBound] } ?? [])
        let xTicks = ChartTicks(covering: xs.min() ?? 0, xs.max() ?? 1, count: 6)
        let yTicks = ChartTicks(covering: ys.min() ?? 0, ys.max() ?? 1, count: 6)
        let legend = series.enumerated().map {
            (label: $1.label, color: ChartPalette.color($0), dash: ChartPalette.dash($0))
        }
        let frame = ChartFrame(
            left: ChartFrame.leftMargin(for: yTicks), top: 60, width: 520,
            height: max(300, Double(legend.count) * ChartFrame.legendRow + 10),
            x: xTicks.lower...xTicks.upper, y: yTicks.lower...yTicks.upper)
        var canvas = ChartCanvas(
            width: frame.right + 28 + ChartFrame.legendWidth(legend.map(\.label)) + 12,
            height: frame.bottom + 58)
        ChartFrame.drawTitle(on: &canvas, title, subtitle: subtitle)
        frame.drawAxes(on: &canvas, xTicks: xTicks, yTicks: yTicks, xTitle: xTitle, yTitle: yTitle)
        for (index, line) in series.enumerated() {
            let pixels = line.points.map { (x: frame.xPosition($0.x), y: frame.yPosition($0.y)) }
            canvas.polyline(pixels, stroke: ChartPalette.color(index), width: 2.2, dash: ChartPalette.dash(index))
            for pixel in pixels {
                canvas.circle(center: pixel, radius: 3, fill: ChartPalette.color(index))
            }
            for (point, spread) in zip(line.points, line.spreads) where spread > 0 && spread.isFinite {
                let x = frame.xPosition(point.x)
                canvas.polyline(
                    [(x: x, y: frame.yPosition(point.y - spread)), (x: x, y: frame.yPosition(point.y + spread))],
                    stroke: ChartPalette.color(index), width: 1.2, dash: nil)
            }
        }
        ChartFrame.drawLegend(on: &canvas, legend, x: frame.right + 28, y: frame.top + 12)
        return canvas.render()
    }
}
