import Testing

@testable import FunnelMetrics

@Suite struct XAUCTests {
    /// The O(n²) definition, for comparison.
    private func bruteForce(_ predictions: [Double], _ targets: [Double]) -> Double {
        let count = predictions.count
        guard count >= 2 else { return 1 }
        var concordant = 0
        for i in 0..<count {
            for j in (i + 1)..<count
            where (targets[i] - targets[j]) * (predictions[i] - predictions[j]) > 0 {
                concordant += 1
            }
        }
        return Double(concordant) / Double(count * (count - 1) / 2)
    }

    // watchtime.md §0.4 test oracle.
    @Test func perfectOrderGivesOneAndReversedGivesZero() throws {
        #expect(try Metrics.xauc(predictions: [1.0, 2, 3, 4], targets: [10.0, 20, 30, 40]) == 1)
        #expect(try Metrics.xauc(predictions: [4.0, 3, 2, 1], targets: [10.0, 20, 30, 40]) == 0)
    }

    @Test func fewerThanTwoRowsGiveOne() throws {
        #expect(try Metrics.xauc(predictions: [Double](), targets: [Double]()) == 1)
        #expect(try Metrics.xauc(predictions: [Float(3)], targets: [Float(7)]) == 1)
    }

    @Test func tiesInTargetOrPredictionAreNotConcordant() throws {
        expectClose(
            try Metrics.xauc(predictions: [1.0, 2, 3], targets: [5.0, 5, 6]), 2.0 / 3,
            relative: 1e-15)
        expectClose(
            try Metrics.xauc(predictions: [1.0, 1, 2], targets: [1.0, 2, 3]), 2.0 / 3,
            relative: 1e-15)
        #expect(try Metrics.xauc(predictions: [1.0, 1, 1], targets: [1.0, 2, 3]) == 0)
    }

    @Test func agreesWithTheQuadraticDefinition() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ range: Int) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double((state >> 33) % UInt64(range))
        }
        for count in [2, 3, 17, 64, 301] {
            let targets = (0..<count).map { _ in next(20) }
            let predictions = targets.map { $0 + next(15) }
            expectClose(
                try Metrics.xauc(predictions: predictions, targets: targets),
                bruteForce(predictions, targets), relative: 1e-15)
        }
    }

    @Test func countsStrictlyIncreasingPairs() {
        #expect(Metrics.countIncreasingPairs([]) == 0)
        #expect(Metrics.countIncreasingPairs([3, 1, 2]) == 1)
        #expect(Metrics.countIncreasingPairs([1, 1, 1]) == 0)
        #expect(Metrics.countIncreasingPairs([1, 2, 2, 3, 0]) == 5)
    }

    @Test func matchesABruteForceLoop() throws {
        let watchTime = try ReferenceFixture.load().watchTime
        expectClose(
            try Metrics.xauc(predictions: watchTime.predictions, targets: watchTime.targets),
            watchTime.expected.xauc)
    }

    @Test func malformedInputThrows() {
        #expect(throws: MetricError.self) {
            try Metrics.xauc(predictions: [1.0, 2], targets: [1.0])
        }
        #expect(throws: MetricError.self) {
            try Metrics.xauc(predictions: [1.0, .nan], targets: [1.0, 2])
        }
    }
}
