import Foundation
import Testing

@testable import FunnelMetrics

@Suite struct LogLossTests {
    private let clippedAtDefault = -log(1e-7)  // 16.118095650958…

    @Test func coinFlipCostsLnTwo() throws {
        expectClose(
            try Metrics.logLoss(probabilities: [0.5, 0.5], labels: [1.0, 0]), log(2),
            relative: 1e-15)
        expectClose(
            try Metrics.logLoss(logits: [0.0, 0.0], labels: [1.0, 0]), log(2), relative: 1e-15)
    }

    @Test func probabilitiesAreClippedToEpsilon() throws {
        let certainAndWrong = try Metrics.logLoss(probabilities: [0.0, 1.0], labels: [1.0, 0])
        // 1 − (1 − 1e-7) is 1e-7 only to about 1e-9 relative in Double.
        expectClose(certainAndWrong, clippedAtDefault, relative: 1e-8)
        let looser = try Metrics.logLoss(
            probabilities: [Float(0)], labels: [Float(1)], epsilon: 1e-3)
        expectClose(looser, -log(1e-3), relative: 1e-15)
        #expect(try Metrics.logLoss(probabilities: [1.0, 0.0], labels: [1.0, 0]) < 1e-6)
    }

    @Test func logitsNeedNoClipping() throws {
        #expect(try Metrics.logLoss(logits: [1000.0], labels: [0.0]) == 1000)
        #expect(try Metrics.logLoss(logits: [-1000.0], labels: [1.0]) == 1000)
        // −log σ(30) = log1p(e^−30), far below what a clipped probability can express.
        expectClose(try Metrics.logLoss(logits: [30.0], labels: [1.0]), 9.357622968840175e-14)
    }

    @Test func logitsAndProbabilitiesAgreeWhereNoClipApplies() throws {
        let logits: [Double] = [-4, -1.5, 0.25, 2, 6]
        let labels: [Double] = [0, 1, 0.3, 1, 0]
        let probabilities = logits.map { 1 / (1 + exp(-$0)) }
        expectClose(
            try Metrics.logLoss(logits: logits, labels: labels),
            try Metrics.logLoss(probabilities: probabilities, labels: labels), relative: 1e-12)
    }

    @Test func softLabelsGiveTheCrossEntropy() throws {
        let entropy = -0.3 * log(0.3) - 0.7 * log(0.7)
        expectClose(
            try Metrics.logLoss(probabilities: [0.3], labels: [0.3]), entropy, relative: 1e-14)
    }

    @Test func weightsGiveAWeightedMean() throws {
        let weighted = try Metrics.logLoss(
            probabilities: [0.5, 0.9], labels: [1.0, 1], weights: [1, 3])
        expectClose(weighted, (log(2) - 3 * log(0.9)) / 4, relative: 1e-14)
    }

    @Test func matchesScikitLearn() throws {
        let binary = try ReferenceFixture.load().binary
        expectClose(
            try Metrics.logLoss(probabilities: binary.scores, labels: binary.labels),
            binary.expected.logLoss)
        expectClose(
            try Metrics.logLoss(
                probabilities: binary.scores, labels: binary.labels, weights: binary.weights),
            binary.expected.weightedLogLoss)
        expectClose(
            try Metrics.logLoss(logits: binary.logits, labels: binary.logitLabels),
            binary.expected.logLossFromLogits)
    }

    @Test func malformedInputThrows() {
        #expect(throws: MetricError.emptyInput(metric: "logloss")) {
            try Metrics.logLoss(probabilities: [Double](), labels: [Double]())
        }
        #expect(throws: MetricError.self) {
            try Metrics.logLoss(probabilities: [1.2], labels: [1.0])
        }
        #expect(throws: MetricError.self) {
            try Metrics.logLoss(probabilities: [0.2], labels: [2.0])
        }
        #expect(throws: MetricError.self) {
            try Metrics.logLoss(probabilities: [0.2], labels: [1.0], epsilon: 0)
        }
        #expect(throws: MetricError.self) {
            try Metrics.logLoss(logits: [Double.infinity], labels: [1.0])
        }
    }
}
