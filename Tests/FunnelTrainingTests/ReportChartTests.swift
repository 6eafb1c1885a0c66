import Foundation
import FunnelMetrics
import Testing

@testable import FunnelTraining

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Parses an SVG with Foundation's XML parser, collecting every attribute and text.
private final class SVGReader: NSObject, XMLParserDelegate {
    var attributes: [(element: String, name: String, value: String)] = []
    var texts: [String] = []
    private var currentText: String?

    /// Whether `svg` is well-formed XML; fills `attributes` and `texts` as it reads.
    func read(_ svg: String) -> Bool {
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        return parser.parse()
    }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?,
        qualifiedName: String?, attributes: [String: String] = [:]
    ) {
        for (name, value) in attributes { self.attributes.append((element, name, value)) }
        if element == "text" { currentText = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        currentText? += string
    }

    func parser(
        _ parser: XMLParser, didEndElement element: String, namespaceURI: String?,
        qualifiedName: String?
    ) {
        if element == "text", let currentText { texts.append(currentText) }
        currentText = nil
    }
}

private let coordinateNames: Set = [
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "points",
]

@Suite("Report ROC curves")
struct ReportROCTests {
    @Test func tiesMoveInOneDiagonalStep() {
        // 0.9 is a positive; the three rows at 0.8 hold one positive and two negatives.
        let curve = ExperimentReport.rocCurve(
            scores: [0.9, 0.8, 0.8, 0.8, 0.3], labels: [1, 1, 0, 0, 0])
        let expected: [(Double, Double)] = [(0, 0), (0, 0.5), (2.0 / 3, 1), (1, 1)]
        #expect(curve.count == expected.count)
        for (point, (falsePositive, truePositive)) in zip(curve, expected) {
            #expect(abs(point.falsePositiveRate - falsePositive) < 1e-12)
            #expect(abs(point.truePositiveRate - truePositive) < 1e-12)
        }
        // Mann–Whitney by hand: 3 + (2 × ½ + 1) wins of 6 pairs.
        #expect(abs(ExperimentReport.area(under: curve) - 5.0 / 6) < 1e-12)
    }

    @Test func perfectAndReversedScores() {
        let labels: [Double] = [0, 0, 1, 1]
        let perfect = ExperimentReport.rocCurve(scores: [0.1, 0.2, 0.8, 0.9], labels: labels)
        #expect(perfect.contains(ROCPoint(falsePositiveRate: 0, truePositiveRate: 1)))
        #expect(ExperimentReport.area(under: perfect) == 1)
        let reversed = ExperimentReport.rocCurve(scores: [0.9, 0.8, 0.2, 0.1], labels: labels)
        #expect(reversed.contains(ROCPoint(falsePositiveRate: 1, truePositiveRate: 0)))
        #expect(ExperimentReport.area(under: reversed) == 0)
    }

    @Test func oneClassGivesTheDiagonalAndNaNRowsAreLeftOut() {
        let diagonal = [
            ROCPoint(falsePositiveRate: 0, truePositiveRate: 0),
            ROCPoint(falsePositiveRate: 1, truePositiveRate: 1),
        ]
        #expect(ExperimentReport.rocCurve(scores: [0.1, 0.5], labels: [1, 1]) == diagonal)
        #expect(ExperimentReport.rocCurve(scores: [], labels: []) == diagonal)
        let withNaN = ExperimentReport.rocCurve(scores: [0.9, .nan, 0.1], labels: [1, 0, 0])
        #expect(ExperimentReport.area(under: withNaN) == 1)
    }

    @Test func exactCurveAreaEqualsFunnelMetricsAUC() throws {
        var generator = SystemRandomNumberGenerator()
        // Scores rounded to two decimals, so that many rows tie.
        let scores = (0..<2_000).map { _ in
            (Double.random(in: 0..<1, using: &generator) * 100).rounded() / 100
        }
        let labels = scores.map { Double.random(in: 0..<1, using: &generator) < $0 ? 1.0 : 0.0 }
        let curve = ExperimentReport.rocCurve(scores: scores, labels: labels, maximumPoints: .max)
        let auc = try Metrics.auc(scores: scores, labels: labels)
        #expect(abs(ExperimentReport.area(under: curve) - auc) < 1e-9)
    }

    @Test(arguments: [2, 3, 50, 200])
    func downsamplingKeepsEndpointsAndMonotonicity(maximumPoints: Int) {
        var generator = SystemRandomNumberGenerator()
        let labels = (0..<5_000).map { _ in
            Double.random(in: 0..<1, using: &generator) < 0.3 ? 1.0 : 0.0
        }
        let scores = labels.map { $0 + Double.random(in: -1.2..<1.2, using: &generator) }
        let exact = ExperimentReport.rocCurve(scores: scores, labels: labels, maximumPoints: .max)
        let curve = ExperimentReport.rocCurve(
            scores: scores, labels: labels, maximumPoints: maximumPoints)
        #expect(curve.count <= maximumPoints)
        #expect(curve.first == ROCPoint(falsePositiveRate: 0, truePositiveRate: 0))
        #expect(curve.last == ROCPoint(falsePositiveRate: 1, truePositiveRate: 1))
        for (previous, next) in zip(curve, curve.dropFirst()) {
            #expect(previous.falsePositiveRate <= next.falsePositiveRate)
            #expect(previous.truePositiveRate <= next.truePositiveRate)
        }
        if maximumPoints >= 50 {
            let error = abs(
                ExperimentReport.area(under: curve) - ExperimentReport.area(under: exact))
            #expect(error < 0.01)
        }
    }
}

@Suite("Report charts")
struct ReportChartTests {
    /// The fixture with an awkward model name, a NaN loss and an empty ROC.
    func awkwardResult() -> ExperimentResult {
        var result = reportFixture()
        for index in result.runs.indices where result.runs[index].model == "a" {
            result.runs[index].model = "x<y & \"z\""
        }
        result.runs[0].curve[3].loss = .nan
        result.runs[1].roc = []
        result.runs[2].samplesPerSecond = .infinity
        return result
    }

    @Test func everyChartIsWellFormedWithEscapedNamesAndFiniteCoordinates() {
        let charts = ExperimentReport.charts(awkwardResult())
        #expect(
            Set(charts.keys)
                == ["training-curves.svg", "roc.svg", "metric-auc.svg", "metric-logloss.svg"])
        for (name, svg) in charts {
            let reader = SVGReader()
            #expect(reader.read(svg), "\(name) is not well-formed XML")
            #expect(svg.contains("x&lt;y &amp; &quot;z&quot;"), "\(name) lacks the escaped name")
            #expect(reader.texts.contains { $0.contains("x<y & \"z\"") })
            for attribute in reader.attributes where coordinateNames.contains(attribute.name) {
                let numbers = attribute.value.split { $0 == " " || $0 == "," }
                #expect(!numbers.isEmpty)
                for number in numbers {
                    #expect(
                        Double(number)?.isFinite == true, "\(name): \(attribute.name)=\(number)")
                }
            }
        }
    }

    @Test func metricChartZoomsToTheDataAndLabelsTheMeans() throws {
        var result = reportFixture()
        result.runs = result.runs.filter { $0.model == "a" }  // auc 0.70–0.74
        let svg = try #require(ExperimentReport.charts(result)["metric-auc.svg"])
        let reader = SVGReader()
        #expect(reader.read(svg))
        #expect(reader.texts.contains("0.7200"))
        #expect(reader.texts.contains("auc"))
        #expect(reader.texts.contains("Model"))
        let ticks = reader.texts.compactMap(Double.init).filter { $0 != 0.72 }
        #expect(try #require(ticks.min()) >= 0.6)
    }

    @Test func tenLongNamesRotateTheirLabelsAndGetDistinctColours() throws {
        let models = (0..<10).map { "model-number-\($0)" }
        let runs = models.enumerated().map { index, model in
            RunResult(
                model: model, seed: 0, metrics: ["auc": 0.7 + 0.001 * Double(index)],
                curve: [CurvePoint(step: 0, loss: 1), CurvePoint(step: 1, loss: 0.5)],
                roc: [
                    .init(falsePositiveRate: 0, truePositiveRate: 0),
                    .init(falsePositiveRate: 1, truePositiveRate: 1),
                ],
                samplesPerSecond: 1)
        }
        let result = ExperimentResult(
            dataset: "d", protocolDescription: [], metricNames: ["auc"], runs: runs)
        let charts = ExperimentReport.charts(result)
        let metric = try #require(charts["metric-auc.svg"])
        #expect(metric.components(separatedBy: "rotate(-40").count - 1 == 10)
        let curves = try #require(charts["training-curves.svg"])
        let colours = Set(ChartPalette.colors.filter { curves.contains("stroke=\"\($0)\"") })
        #expect(colours.count == 10)
    }
}

/// The line chart's optional spread bars (the learning curve's ± 1 sd).
@Suite struct LineChartSpreadTests {
    @Test func spreadsDrawOneBarPerPointAndWidenTheAxis() {
        let points: [(x: Double, y: Double)] = [(1, 0.6), (2, 0.7)]
        let plain = LineChart.svg(title: "t", subtitle: "s", xTitle: "x", yTitle: "y", series: [.init(label: "a", points: points)])
        let barred = LineChart.svg(
            title: "t", subtitle: "s", xTitle: "x", yTitle: "y", series: [.init(label: "a", points: points, spreads: [0.3, 0])])
        func count(_ text: String) -> Int { text.components(separatedBy: "<polyline").count - 1 }
        #expect(count(barred) == count(plain) + 1, "a bar for the first point, none for a spread of 0")
        // The bar reaches 0.9, beyond the plain chart's axis.
        #expect(barred.contains(">0.9") && !plain.contains(">0.9"))
    }
}
