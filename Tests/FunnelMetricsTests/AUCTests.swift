import Testing

@testable import FunnelMetrics

/// The entire-space.md §2 oracle: users A–D, 11 rows. The spec gives no scores for user C's two
/// negatives; any two below 0.3 (the lowest positive) give its global AUC of 22/28 = 0.785714.
enum GroupOracle {
    static let users = ["A", "A", "A", "B", "B", "C", "C", "D", "D", "D", "D"]
    static let labels: [Double] = [1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]
    static let scores: [Double] = [0.9, 0.2, 0.5, 0.3, 0.6, 0.1, 0.2, 0.8, 0.4, 0.6, 0.1]
}

@Suite struct AUCTests {
    @Test func globalAUCOfTheGroupOracle() throws {
        let auc = try Metrics.auc(scores: GroupOracle.scores, labels: GroupOracle.labels)
        expectClose(auc, 22.0 / 28.0, relative: 1e-12)
        #expect(abs(auc - 0.785714) < 5e-7)
    }

    @Test func perUserAUCsOfTheGroupOracle() throws {
        #expect(try Metrics.auc(scores: [0.9, 0.2, 0.5], labels: [1.0, 0, 0]) == 1)
        #expect(try Metrics.auc(scores: [0.3, 0.6], labels: [1.0, 0]) == 0)
        #expect(try Metrics.auc(scores: [0.8, 0.4, 0.6, 0.1], labels: [1.0, 1, 0, 0]) == 0.75)
    }

    @Test func tiedPairCountsOneHalf() throws {
        #expect(try Metrics.auc(scores: [0.5, 0.5], labels: [1.0, 0]) == 0.5)
        // Every score tied: 0.5 whatever the labels.
        #expect(
            try Metrics.auc(scores: [Float](repeating: 3, count: 5), labels: [1.0, 0, 1, 0, 0])
                == 0.5)
        // Positives {0.4, 0.7}, negatives {0.4, 0.1}: pairs 0.5 + 1 + 1 + 1 = 3.5 of 4.
        #expect(try Metrics.auc(scores: [0.4, 0.7, 0.4, 0.1], labels: [1.0, 1, 0, 0]) == 0.875)
    }

    @Test func weightsCountEachPairByTheProductOfItsWeights() throws {
        // Pairs (pos 0.9, neg 0.2) weight 2·1 correct, (pos 0.1, neg 0.2) weight 3·1 wrong.
        let auc = try Metrics.auc(
            scores: [0.9, 0.1, 0.2], labels: [1.0, 1, 0], weights: [2, 3, 1])
        expectClose(auc, 2.0 / 5.0, relative: 1e-15)
        let unit = try Metrics.auc(
            scores: GroupOracle.scores, labels: GroupOracle.labels,
            weights: [Double](repeating: 1, count: 11))
        expectClose(unit, 22.0 / 28.0, relative: 1e-15)
    }

    @Test func floatAndDoubleScoresAgree() throws {
        let float = try Metrics.auc(
            scores: GroupOracle.scores.map { Float($0) },
            labels: GroupOracle.labels.map { Float($0) })
        #expect(float == 22.0 / 28.0)
    }

    @Test func matchesScikitLearn() throws {
        let binary = try ReferenceFixture.load().binary
        expectClose(
            try Metrics.auc(scores: binary.scores, labels: binary.labels), binary.expected.auc)
        expectClose(
            try Metrics.auc(scores: binary.scores.map { Float($0) }, labels: binary.labels),
            binary.expected.auc)
        expectClose(
            try Metrics.auc(scores: binary.scores, labels: binary.labels, weights: binary.weights),
            binary.expected.weightedAUC)
    }

    @Test func emptyInputThrowsAClearError() {
        #expect(throws: MetricError.emptyInput(metric: "AUC")) {
            try Metrics.auc(scores: [Double](), labels: [Double]())
        }
        let message = MetricError.emptyInput(metric: "AUC").description
        #expect(message == "AUC: expected at least one row, got an empty input")
    }

    @Test func singleClassThrowsAClearError() {
        #expect(throws: MetricError.singleClass(metric: "AUC", positives: 0, negatives: 3)) {
            try Metrics.auc(scores: [0.1, 0.2, 0.3], labels: [0.0, 0, 0])
        }
        let message = MetricError.singleClass(metric: "AUC", positives: 2, negatives: 0).description
        #expect(message.contains("expected at least one positive and one negative label"))
        #expect(message.contains("got 2 positive and 0 negative"))
    }

    @Test func malformedInputThrows() {
        #expect(
            throws: MetricError.countMismatch(
                metric: "AUC", argument: "labels", expected: 2, actual: 1)
        ) {
            try Metrics.auc(scores: [0.1, 0.2], labels: [1.0])
        }
        #expect(
            throws: MetricError.invalidLabel(
                metric: "AUC", index: 1, value: 0.5, expected: "0 or 1")
        ) {
            try Metrics.auc(scores: [0.1, 0.2], labels: [1.0, 0.5])
        }
        #expect(throws: MetricError.self) {
            try Metrics.auc(scores: [0.1, .nan], labels: [1.0, 0])
        }
        #expect(throws: MetricError.self) {
            try Metrics.auc(scores: [0.1, 0.2], labels: [1.0, 0], weights: [1, -1])
        }
    }
}
