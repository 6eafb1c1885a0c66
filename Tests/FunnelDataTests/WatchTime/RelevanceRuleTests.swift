import Testing

@testable import FunnelData

/// watchtime.md §0.2: D2Co's fixed-threshold and CWM's quantile relevance rules.
@Suite struct RelevanceRuleTests {
    @Test func fixedThresholdFollowsD2Co() {
        let rule = RelevanceRule.d2co
        #expect(rule == .fixedThreshold(18))
        let theta = rule.threshold(truncatedWatchTimes: [1, 2, 3])
        #expect(theta == 18)
        func label(_ watched: Double, _ played: Double, _ duration: Double) -> Float {
            rule.label(truncatedWatchTime: watched, playTime: played, duration: duration, threshold: theta)
        }
        #expect(label(10, 10, 10) == 1)  // played to the end, short
        #expect(label(18, 25, 18) == 1)  // d = θ counts as short
        #expect(label(10, 10, 20) == 0)  // long and not watched past θ
        #expect(label(19, 19, 20) == 1)  // long, watched past θ
        #expect(label(18, 18, 30) == 0)  // w_trunc = θ is not past θ
        #expect(label(9, 9, 10) == 0)  // short, not finished
        #expect(label(0, 0, 0) == 0)  // 0 / 0 is NaN in pandas: not ≥ 1
    }

    @Test func quantileRuleFollowsCWM() {
        let rule = RelevanceRule.cwm
        #expect(rule == .quantile(0.7))
        // numpy.quantile([1, 2, 3, 4], 0.7) = 3.1 (index 2.1 between 3 and 4).
        #expect(abs(rule.threshold(truncatedWatchTimes: [4, 1, 3, 2]) - 3.1) < 1e-12)
        let theta = 22.0
        func label(_ watched: Double, _ played: Double, _ duration: Double) -> Float {
            rule.label(truncatedWatchTime: watched, playTime: played, duration: duration, threshold: theta)
        }
        #expect(label(20, 35, 20) == 1)  // play_time ≥ d, d ≤ θ
        #expect(label(19, 19, 20) == 0)
        #expect(label(23, 23, 60) == 1)  // w_trunc > θ, d > θ
        #expect(label(22, 22, 60) == 0)
        #expect(label(0, 0, 0) == 1)  // play_time ≥ d holds for d = 0, unlike D2Co's ratio
    }

    @Test func linearQuantileMatchesNumpy() {
        #expect(RelevanceRule.linearQuantile([], 0.7) == 0)
        #expect(RelevanceRule.linearQuantile([5], 0.7) == 5)
        #expect(RelevanceRule.linearQuantile([0, 10], 0.5) == 5)
        #expect(RelevanceRule.linearQuantile([0, 10], 1) == 10)
        #expect(RelevanceRule.linearQuantile([3, 1, 2], 0) == 1)
        // numpy.quantile([2, 4, 6, 20, 30], 0.7) = 17.2 (index 2.8: 20 − 14 × 0.2).
        #expect(abs(RelevanceRule.linearQuantile([2, 20, 30, 6, 4], 0.7) - 17.2) < 1e-12)
    }

    @Test func labelsOfManyViewsShareOneTheta() {
        let (labels, theta) = RelevanceRule.quantile(0.7).labels(
            truncatedWatchTimes: [2, 20, 30, 6, 4], playTimes: [2, 20, 45, 6, 4], durations: [30, 30, 30, 6, 240])
        #expect(abs(theta - 17.2) < 1e-12)
        #expect(labels == [0, 1, 1, 1, 0])
    }
}
