import Foundation

/// A hand-written SVG document on a white background: the few shapes the report's charts
/// draw, with every coordinate finite and every text escaped for XML.
struct ChartCanvas {
    let width: Double
    let height: Double
    private var elements: [String] = []

    /// The font every chart uses; DejaVu Sans is the usual fallback on Linux.
    static let fontFamily = "Helvetica, Arial, 'DejaVu Sans', sans-serif"
    /// Dark grey for text and axes, softer than black.
    static let ink = "#222222"
    /// Light grey for grid lines.
    static let grid = "#e6e6e6"

    init(width: Double, height: Double) {
        self.width = width.rounded(.up)
        self.height = height.rounded(.up)
    }

    mutating func line(
        from start: (x: Double, y: Double), to end: (x: Double, y: Double),
        stroke: String = ink, width: Double = 1, dash: String? = nil
    ) {
        elements.append(
            "<line x1=\"\(Self.number(start.x))\" y1=\"\(Self.number(start.y))\" "
                + "x2=\"\(Self.number(end.x))\" y2=\"\(Self.number(end.y))\" "
                + "stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\""
                + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>")
    }

    /// A polyline through the finite points; a non-finite point breaks the line in two.
    mutating func polyline(
        _ points: [(x: Double, y: Double)], stroke: String, width: Double,
        opacity: Double = 1, dash: String? = nil
    ) {
        var pieces: [[(x: Double, y: Double)]] = [[]]
        for point in points {
            if point.x.isFinite, point.y.isFinite {
                pieces[pieces.count - 1].append(point)
            } else if !pieces[pieces.count - 1].isEmpty {
                pieces.append([])
            }
        }
        for piece in pieces where piece.count > 1 {
            let coordinates = piece.map { "\(Self.number($0.x)),\(Self.number($0.y))" }
            elements.append(
                "<polyline points=\"\(coordinates.joined(separator: " "))\" fill=\"none\" "
                    + "stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\" "
                    + "stroke-opacity=\"\(Self.number(opacity))\" stroke-linejoin=\"round\""
                    + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>")
        }
    }

    mutating func circle(
        center: (x: Double, y: Double), radius: Double, fill: String, stroke: String? = nil,
        opacity: Double = 1
    ) {
        guard center.x.isFinite, center.y.isFinite else { return }
        elements.append(
            "<circle cx=\"\(Self.number(center.x))\" cy=\"\(Self.number(center.y))\" "
                + "r=\"\(Self.number(radius))\" fill=\"\(fill)\" "
                + "fill-opacity=\"\(Self.number(opacity))\""
                + (stroke.map { " stroke=\"\($0)\" stroke-width=\"1\"" } ?? "") + "/>")
    }

    mutating func rectangle(
        x: Double, y: Double, width: Double, height: Double, fill: String,
        stroke: String? = nil
    ) {
        elements.append(
            "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" "
                + "width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" "
                + "fill=\"\(fill)\"" + (stroke.map { " stroke=\"\($0)\"" } ?? "") + "/>")
    }

    /// Text whose baseline sits at `y`; `rotation` in degrees turns it about `(x, y)`.
    mutating func text(
        _ content: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
        bold: Bool = false, rotation: Double? = nil, fill: String = ink
    ) {
        let transform = rotation.map {
            " transform=\"rotate(\(Self.number($0)) \(Self.number(x)) \(Self.number(y)))\""
        }
        elements.append(
            "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" "
                + "font-size=\"\(Self.number(size))\" text-anchor=\"\(anchor)\" "
                + "fill=\"\(fill)\"" + (bold ? " font-weight=\"bold\"" : "")
                + (transform ?? "") + ">\(Self.escape(content))</text>")
    }

    /// The whole document, with an XML declaration and a white background.
    func render() -> String {
        let size = "width=\"\(Self.number(width))\" height=\"\(Self.number(height))\""
        let header = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" \(size) "
                + "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" "
                + "font-family=\"\(Self.fontFamily)\">",
            "<rect x=\"0\" y=\"0\" \(size) fill=\"#ffffff\"/>",
        ]
        return (header + elements + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    /// `text` with the five XML special characters escaped and control characters dropped,
    /// which XML 1.0 does not allow even escaped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\t", "\n", "\r": escaped += " "
            default:
                if scalar.value >= 0x20, scalar.value != 0x7F, scalar.value != 0xFFFE,
                    scalar.value != 0xFFFF
                {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }

    /// A coordinate with at most two decimals; a non-finite value becomes 0 so that the
    /// document never holds `nan` or `inf`.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (min(max(value, -1e9), 1e9) * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int64(rounded)) }
        return String(format: "%.2f", rounded)
    }

    /// An estimate of the width of `text` in pixels at font size `size`; sans-serif glyphs
    /// average a little over half an em, and the estimate leans wide so that labels do not touch.
    static func textWidth(_ text: String, size: Double = 12) -> Double {
        Double(text.count) * size * 0.62
    }
}

/// The fixed colours of the charts, one per model in order (Tableau 10, with its pale yellow
/// and grey replaced by darker tones that read on white); after ten, lines are also dashed.
enum ChartPalette {
    static let colors = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#b8860b", "#b07aa1", "#ff9da7", "#9c755f", "#555555",
    ]

    static func color(_ index: Int) -> String { colors[index % colors.count] }

    /// A dash pattern for models past the tenth, so that no two models look the same.
    static func dash(_ index: Int) -> String? {
        switch (index / colors.count) % 3 {
        case 0: nil
        case 1: "6 3"
        default: "2 2"
        }
    }
}
