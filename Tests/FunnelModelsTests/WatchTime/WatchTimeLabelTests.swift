import Foundation
import FunnelModels
import Testing

/// watchtime.md §0.5: every baseline label, fitted on training rows and applied to new ones.
@Suite struct WatchTimeLabelTests {
    let options = WatchTimeLabel.Options()

    func fit(_ kind: WatchTimeLabel.Kind, _ watchTimes: [Float], _ durations: [Float], options: WatchTimeLabel.Options? = nil)
        throws -> WatchTimeLabel
    {
        try WatchTimeLabel.fit(kind, watchTimes: watchTimes, durations: durations, options: options ?? self.options)
    }

    @Test func scaledWatchTimeUsesTheTrainingRange() throws {
        let label = try fit(.watchTime, [2, 12, 7], [20, 20, 20])
        #expect(label.value(watchTime: 7, duration: 99).label == 0.5)
        #expect(label.value(watchTime: 30, duration: 99).label == 1)
        #expect(label.value(watchTime: 0, duration: 99).label == 0)
    }

    @Test func completionRateIsWatchTimeOverDuration() throws {
        let label = try fit(.playCompletionRate, [1], [1])
        #expect(label.value(watchTime: 15, duration: 60).label == 0.25)
        #expect(label.value(watchTime: 60, duration: 60).label == 1)
    }

    @Test func gainIsTheNormalProbabilityOfTheStandardisedWatchTime() throws {
        // Duration 10: mean 2, sample deviation 1; duration 30 has one record (gain 0).
        let label = try fit(.watchTimeGain, [1, 2, 3, 9], [10, 10, 10, 30])
        #expect(Swift.abs(label.value(watchTime: 3, duration: 10).label - 0.841345) < 1e-5)
        #expect(Swift.abs(label.value(watchTime: 2, duration: 10).label - 0.5) < 1e-6)
        #expect(label.value(watchTime: 25, duration: 30).label == 0.5)
        // An unseen duration takes the nearest one's moments.
        #expect(label.value(watchTime: 3, duration: 12).label == label.value(watchTime: 3, duration: 10).label)
    }

    @Test func durationQuantileFollowsSciPysRankKindAndTheDenseRank() throws {
        var options = self.options
        options.durationQuantileGroups = 1
        let percentile = try fit(.durationQuantile, [1, 2, 3, 4], [10, 10, 10, 10], options: options)
        #expect(percentile.value(watchTime: 3, duration: 10).label == 0.75)
        let tied = try fit(.durationQuantile, [1, 2, 2, 4], [10, 10, 10, 10], options: options)
        #expect(tied.value(watchTime: 2, duration: 10).label == 0.625)
        // A value between training values: its strict percentile.
        #expect(tied.value(watchTime: 3, duration: 10).label == 0.75)
        let dense = try fit(.durationQuantileDense, [1, 2, 2, 4], [10, 10, 10, 10], options: options)
        #expect(Swift.abs(dense.value(watchTime: 2, duration: 10).label - 2.0 / 3) < 1e-6)
        #expect(dense.value(watchTime: 4, duration: 10).label == 1)
    }

    @Test func durationQuantileGroupsAreEqualFrequencyBinsClosedOnTheRight() {
        let durations: [Float] = (1...10).map(Float.init)
        let quantiles = DurationQuantiles(watchTimes: durations, durations: durations, groups: 2, ranking: .percentile)
        #expect(quantiles.edges == [1, 5.5, 10])
        // Group 1 holds watch times 1…5, group 2 holds 6…10.
        #expect(quantiles.label(watchTime: 5, duration: 5) == 1)
        #expect(quantiles.label(watchTime: 5, duration: 6) == 0)
        #expect(quantiles.label(watchTime: 5, duration: 0) == 1)
        #expect(quantiles.label(watchTime: 10, duration: 11) == 1)
        // Repeated edges are dropped: one distinct duration makes one group.
        let single = DurationQuantiles(watchTimes: [1, 2], durations: [7, 7], groups: 30, ranking: .dense)
        #expect(single.edges == [7])
        #expect(single.label(watchTime: 2, duration: 7) == 1)
    }

    @Test func weightedLogisticWeighsPositivesByTheirWatchTime() throws {
        let label = try fit(.weightedLogistic, (1...10).map(Float.init), Array(repeating: 20, count: 10))
        // q60 of 1…10 is 6.4.
        #expect(label.value(watchTime: 7, duration: 20) == (1, 7))
        #expect(label.value(watchTime: 6, duration: 20) == (0, 1))
    }

    @Test func ndtIsTheShiftedSigmoidClippedToTheUnitInterval() throws {
        let watchTimes: [Float] = [0, 3, 8, 20]
        let label = try fit(.ndt, watchTimes, [30, 30, 30, 30])
        let logs = watchTimes.map { log(Double($0) + 1) }
        let mean = logs.reduce(0, +) / 4
        let deviation = (logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4).squareRoot()
        let center = exp(mean - deviation)
        let expected = 2.319 / (1 + exp(-(10 - center) / 20)) - 0.744
        #expect(Swift.abs(Double(label.value(watchTime: 10, duration: 30).label) - expected) < 1e-5)
        #expect(label.value(watchTime: 400, duration: 400).label == 1)
    }

    @Test func denoisingZeroesWatchTimesUnderFiveSeconds() throws {
        var options = self.options
        options.denoise = true
        let label = try fit(.playCompletionRate, [1], [1], options: options)
        let values = label.values(watchTimes: [4, 5, 10], durations: [10, 10, 10], options: options)
        #expect(values.labels == [0, 0.5, 1])
    }

    @Test func emptyTrainingSplitIsRefusedNamingTheLabel() {
        #expect {
            try WatchTimeLabel.fit(.d2co, watchTimes: [], durations: [], options: options)
        } throws: { error in
            "\(error)".contains("d2co")
        }
    }
}
