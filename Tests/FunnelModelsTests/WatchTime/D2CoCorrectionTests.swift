import Foundation
import FunnelModels
import FunnelTensor
import Testing

/// watchtime.md §1.5: the moving average, the correction and the mixture's recovery.
@Suite struct D2CoCorrectionTests {
    @Test func frequencyWeightedMovingAverageMatchesTheOracle() {
        let smoothed = D2CoCorrection.movingAverage([1, 2, 3], frequencies: [1, 1, 2], window: 2)
        #expect(smoothed.count == 3)
        #expect(Swift.abs(smoothed[0] - 1.5) < 1e-12)
        #expect(Swift.abs(smoothed[1] - 2.25) < 1e-12)
        #expect(Swift.abs(smoothed[2] - 8.0 / 3) < 1e-12)
        // T = 1 is no smoothing.
        #expect(D2CoCorrection.movingAverage([1, 2, 3], frequencies: [1, 1, 2], window: 1) == [1, 2, 3])
    }

    @Test func correctionMatchesTheOracle() {
        func correct(_ w: Double, alpha: Double = 0) -> Double {
            D2CoCorrection.correct(watchTime: w, noise: 2, interest: 12, alpha: alpha)
        }
        #expect(correct(2) == 0)
        #expect(correct(12) == 1)
        #expect(correct(20) == 1)
        #expect(correct(0) == 0)
        #expect(Swift.abs(correct(7, alpha: 0.1) - 0.3775) < 1e-4)
        #expect(Swift.abs(correct(7, alpha: 0.1) - (exp(0.7) - exp(0.2)) / (exp(1.2) - exp(0.2))) < 1e-12)
        #expect(Swift.abs(correct(7, alpha: 1e-9) - 0.5) < 1e-6)
        #expect(correct(7) == 0.5)
        // α < 0 is concave: above the affine value in the middle.
        #expect(correct(7, alpha: -0.1) > 0.5)
        // A degenerate fit is a step at q.
        #expect(D2CoCorrection.correct(watchTime: 3, noise: 2, interest: 2, alpha: 0) == 1)
        #expect(D2CoCorrection.correct(watchTime: 1, noise: 2, interest: 2, alpha: 0) == 0)
    }

    @Test func mixtureRecoversTwoSeparatedNormals() {
        var random = RandomGenerator(seed: 7)
        let values = (0..<1000).map { _ in 3 + Double(random.nextNormal()) } + (0..<1000).map { _ in 30 + Double(random.nextNormal()) }
        let mixture = TwoComponentMixture(values: values, counts: Array(repeating: 1, count: values.count))
        #expect(Swift.abs(mixture.lower.mean - 3) < 0.2)
        #expect(Swift.abs(mixture.upper.mean - 30) < 0.2)
        #expect(Swift.abs(mixture.lower.standardDeviation - 1) < 0.2)
        #expect(Swift.abs(mixture.upper.weight - 0.5) < 0.01)
        // Counts are multiplicities: the same data as distinct values with counts fits the same.
        let counted = TwoComponentMixture(values: [1, 2, 10, 11], counts: [3, 3, 2, 2])
        let listed = TwoComponentMixture(values: [1, 1, 1, 2, 2, 2, 10, 10, 11, 11], counts: Array(repeating: 1, count: 10))
        #expect(Swift.abs(counted.lower.mean - listed.lower.mean) < 1e-9)
        #expect(Swift.abs(counted.upper.mean - 10.5) < 1e-6)
    }

    @Test func fittedCorrectionMapsEachDurationsComponentsToZeroAndOne() throws {
        // Duration 60: noise around 2 s, interest around 40 s; duration 10: a 1-record duration
        // that is not fitted and takes the nearest fitted one (60 is the only one).
        var random = RandomGenerator(seed: 3)
        var watchTimes: [Float] = []
        for _ in 0..<300 { watchTimes.append((2 + random.nextNormal() * 0.5).rounded()) }
        for _ in 0..<300 { watchTimes.append((40 + random.nextNormal() * 2).rounded()) }
        var durations = [Float](repeating: 60, count: watchTimes.count)
        watchTimes.append(5)
        durations.append(10)
        var options = D2CoCorrection.Options()
        options.alpha = 0
        let correction = try D2CoCorrection(watchTimes: watchTimes, durations: durations, options: options)
        #expect(correction.table.durations == [60])
        let parameters = correction.table[60]
        #expect(Swift.abs(parameters.noiseMean - 2) < 0.2)
        #expect(Swift.abs(parameters.interestMean - 40) < 0.3)
        #expect(correction.label(watchTime: 0, duration: 60) == 0)
        #expect(correction.label(watchTime: 50, duration: 60) == 1)
        let middle = Float((parameters.noiseMean + parameters.interestMean) / 2)
        #expect(Swift.abs(correction.label(watchTime: middle, duration: 60) - 0.5) < 1e-4)
        #expect(correction.label(watchTime: middle, duration: 10) == correction.label(watchTime: middle, duration: 60))
    }

    @Test func correctionWithoutAFittableDurationIsRefused() {
        #expect(throws: WatchTimeLabelError.self) {
            try D2CoCorrection(watchTimes: [1, 2], durations: [10, 20])
        }
    }

    @Test func durationTableTakesTheNearestFittedDurationShorterOnATie() {
        let table = DurationTable([(duration: 20, value: "twenty"), (duration: 10, value: "ten")])
        #expect(table[10] == "ten")
        #expect(table[15] == "ten")
        #expect(table[16] == "twenty")
        #expect(table[5] == "ten")
        #expect(table[25] == "twenty")
    }
}
