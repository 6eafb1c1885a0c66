import Testing

@testable import FunnelMetrics

@Suite struct CalibrationTests {
    private let probabilities: [Double] = [0.1, 0.15, 0.8, 0.95]
    private let labels: [Double] = [0, 1, 1, 1]

    @Test func ratioIsMeanPredictionOverMeanLabel() throws {
        let calibration = try Calibration(probabilities: probabilities, labels: labels)
        #expect(calibration.count == 4)
        expectClose(calibration.meanPrediction, 0.5, relative: 1e-15)
        #expect(calibration.meanLabel == 0.75)
        expectClose(try #require(calibration.ratio), 2.0 / 3.0, relative: 1e-15)
    }

    @Test func expectedCalibrationErrorWeighsBinsByTheirRows() throws {
        // Two bins: [0.1, 0.15] vs labels [0, 1] and [0.8, 0.95] vs [1, 1]:
        // ½·|0.125 − 0.5| + ½·|0.875 − 1| = 0.25.
        let two = try Calibration(probabilities: probabilities, labels: labels, binCount: 2)
        expectClose(two.expectedCalibrationError, 0.25, relative: 1e-15)
        #expect(two.bins.map(\.count) == [2, 2])
        #expect(two.bins[0].meanPrediction == 0.125 && two.bins[0].meanLabel == 0.5)
        #expect(two.bins[1].lowerBound == 0.5 && two.bins[1].upperBound == 1)
        // Ten bins: rows fall in bins 1, 1, 8 and 9.
        let ten = try Calibration(probabilities: probabilities, labels: labels)
        #expect(ten.bins.count == 10)
        #expect(ten.bins.map(\.count) == [0, 2, 0, 0, 0, 0, 0, 0, 1, 1])
        #expect(ten.bins[0].meanPrediction == nil)
        expectClose(ten.expectedCalibrationError, (0.75 + 0.2 + 0.05) / 4, relative: 1e-14)
    }

    @Test func edgesFallInTheFirstAndLastBins() throws {
        let calibration = try Calibration(
            probabilities: [Float(0), 1, 1], labels: [Float(0), 1, 1], binCount: 4)
        #expect(calibration.bins.map(\.count) == [1, 0, 0, 2])
        #expect(calibration.expectedCalibrationError == 0)
        #expect(calibration.ratio == 1)
    }

    @Test func ratioIsNilWithoutPositives() throws {
        let calibration = try Calibration(probabilities: [0.2, 0.4], labels: [0.0, 0])
        #expect(calibration.ratio == nil)
        expectClose(calibration.expectedCalibrationError, 0.3, relative: 1e-15)
    }

    @Test func matchesANumpyLoop() throws {
        let binary = try ReferenceFixture.load().binary
        let calibration = try Calibration(probabilities: binary.scores, labels: binary.labels)
        expectClose(calibration.meanPrediction, binary.expected.meanPrediction)
        expectClose(calibration.meanLabel, binary.expected.meanLabel)
        expectClose(calibration.expectedCalibrationError, binary.expected.expectedCalibrationError)
        #expect(calibration.bins.map(\.count) == binary.expected.binCounts)
    }

    @Test func malformedInputThrows() {
        #expect(throws: MetricError.emptyInput(metric: "calibration")) {
            try Calibration(probabilities: [Double](), labels: [Double]())
        }
        #expect(throws: MetricError.self) {
            try Calibration(probabilities: [0.5], labels: [1.0], binCount: 0)
        }
        #expect(throws: MetricError.self) {
            try Calibration(probabilities: [-0.1], labels: [1.0])
        }
    }
}
