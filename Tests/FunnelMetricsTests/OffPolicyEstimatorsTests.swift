import Testing

@testable import FunnelMetrics

@Suite struct OffPolicyEstimatorsTests {
    /// Five rounds worked by hand:
    ///
    /// | i | r | p₀   | π    | w = π/p₀ | w·r | q̂(a_i) | Σ_a π q̂ | w·(r − q̂) |
    /// |---|---|------|------|----------|-----|--------|---------|-----------|
    /// | 1 | 1 | 0.5  | 0.25 | 0.5      | 0.5 | 0.4    | 0.30    |  0.3      |
    /// | 2 | 0 | 0.25 | 0.5  | 2        | 0   | 0.2    | 0.35    | −0.4      |
    /// | 3 | 1 | 0.2  | 0.4  | 2        | 2   | 0.5    | 0.45    |  1.0      |
    /// | 4 | 0 | 0.5  | 1.0  | 2        | 0   | 0.1    | 0.20    | −0.2      |
    /// | 5 | 1 | 1.0  | 0.5  | 0.5      | 0.5 | 0.6    | 0.50    |  0.2      |
    ///
    /// Σ w·r = 3, Σ w = 7, Σ Σ_a π q̂ = 1.8, Σ w·(r − q̂) = 0.9, so
    /// IPS = 3/5 = 0.6, SNIPS = 3/7 = 0.428571…, DM = 1.8/5 = 0.36, DR = (1.8 + 0.9)/5 = 0.54.
    static func fiveRounds() throws -> LoggedRounds {
        try LoggedRounds(
            rewards: [1, 0, 1, 0, 1], loggingPropensities: [0.5, 0.25, 0.2, 0.5, 1.0],
            targetProbabilities: [0.25, 0.5, 0.4, 1.0, 0.5],
            rewardPredictions: [0.4, 0.2, 0.5, 0.1, 0.6],
            targetRewardPredictions: [0.30, 0.35, 0.45, 0.20, 0.50])
    }

    @Test func fiveRoundsMatchTheHandCalculation() throws {
        let rounds = try Self.fiveRounds()
        let expected: [OffPolicyEstimator: Double] = [.ips: 0.6, .snips: 3.0 / 7.0, .dm: 0.36, .dr: 0.54]
        for (estimator, value) in expected {
            let estimate = try estimator.estimate(on: rounds)
            #expect(abs(estimate - value) < 1e-12, "\(estimator): \(estimate), expected \(value)")
        }
    }

    @Test func repeatedRoundsCountOnceEach() throws {
        // Rounds 3, 3 and 1 (0-based 2, 2, 0): IPS = (2 + 2 + 0.5)/3 = 1.5, SNIPS = 4.5/4.5 = 1.
        let rounds = try Self.fiveRounds()
        #expect(abs(try OffPolicyEstimator.ips.estimate(on: rounds, rounds: [2, 2, 0]) - 1.5) < 1e-12)
        #expect(abs(try OffPolicyEstimator.snips.estimate(on: rounds, rounds: [2, 2, 0]) - 1) < 1e-12)
    }

    @Test func aTargetEqualToTheLoggingPolicyGivesThePlainMean() throws {
        let rewards: [Double] = [0, 1, 1, 0, 0, 0, 1, 0]
        let uniform = [Double](repeating: 0.25, count: rewards.count)
        let rounds = try LoggedRounds(rewards: rewards, loggingPropensities: uniform, targetProbabilities: uniform)
        let mean = rewards.reduce(0, +) / Double(rewards.count)
        #expect(abs(try OffPolicyEstimator.ips.estimate(on: rounds) - mean) < 1e-15)
        #expect(abs(try OffPolicyEstimator.snips.estimate(on: rounds) - mean) < 1e-15)
    }

    @Test func theDirectMethodAndDRNeedARewardModel() throws {
        let rounds = try LoggedRounds(rewards: [1], loggingPropensities: [0.5], targetProbabilities: [0.5])
        #expect(throws: MetricError.self) { try OffPolicyEstimator.dr.estimate(on: rounds) }
        #expect(throws: MetricError.self) { try OffPolicyEstimator.dm.estimate(on: rounds) }
    }

    @Test(arguments: [0.0, -0.1, 1.5, Double.nan])
    func aPropensityOutsideTheUnitIntervalIsRefused(propensity: Double) {
        #expect {
            try LoggedRounds(rewards: [1, 0], loggingPropensities: [0.5, propensity], targetProbabilities: [0.5, 0.5])
        } throws: { error in
            guard let error = error as? MetricError, case .invalidValue(_, let argument, let index, _, _) = error else {
                return false
            }
            return argument == "loggingPropensities" && index == 1 && error.description.contains("(0, 1]")
        }
    }

    @Test func badTargetsAndLengthsAreRefused() {
        #expect(throws: MetricError.self) {
            try LoggedRounds(rewards: [1], loggingPropensities: [0.5], targetProbabilities: [1.2])
        }
        #expect(throws: MetricError.self) {
            try LoggedRounds(rewards: [1, 0], loggingPropensities: [0.5], targetProbabilities: [0.5, 0.5])
        }
        #expect(throws: MetricError.self) {
            try LoggedRounds(rewards: [.infinity], loggingPropensities: [0.5], targetProbabilities: [0.5])
        }
        #expect(throws: MetricError.self) {
            try LoggedRounds(rewards: [], loggingPropensities: [], targetProbabilities: [])
        }
    }

    @Test func theBootstrapIsDeterministicAndContainsTheEstimate() throws {
        let rewards = (0..<200).map { Double(($0 * 7919) % 13 == 0 ? 1 : 0) }
        let propensities = (0..<200).map { 0.1 + 0.8 * Double(($0 * 31) % 17) / 16 }
        let targets = propensities.map { 1 - $0 }
        let rounds = try LoggedRounds(rewards: rewards, loggingPropensities: propensities, targetProbabilities: targets)
        func interval(seed: UInt64) throws -> BootstrapInterval {
            try BootstrapInterval(count: rounds.count, resamples: 500, seed: seed) { indices throws(MetricError) in
                try OffPolicyEstimator.ips.estimate(on: rounds, rounds: indices)
            }
        }
        let first = try interval(seed: 7), again = try interval(seed: 7), other = try interval(seed: 8)
        #expect(first == again)
        #expect(first != other)
        #expect(first.estimate == (try OffPolicyEstimator.ips.estimate(on: rounds)))
        #expect(first.contains(first.estimate))
        #expect(first.lower < first.upper)
        // A wider level gives a wider interval on the same resamples.
        let wide = try BootstrapInterval(count: rounds.count, resamples: 500, level: 0.99, seed: 7) { indices throws(MetricError) in
            try OffPolicyEstimator.ips.estimate(on: rounds, rounds: indices)
        }
        #expect(wide.lower <= first.lower && wide.upper >= first.upper)
    }

    @Test func quantilesInterpolateBetweenOrderStatistics() {
        #expect(BootstrapInterval.quantile([1, 2, 3, 4, 5], 0.5) == 3)
        #expect(BootstrapInterval.quantile([1, 2, 3, 4, 5], 0.125) == 1.5)
        #expect(BootstrapInterval.quantile([1, 2], 1) == 2)
    }

    @Test func theBootstrapRefusesBadArguments() {
        #expect(throws: MetricError.self) { try BootstrapInterval(count: 3, resamples: 1, seed: 1) { _ throws(MetricError) in 0 } }
        #expect(throws: MetricError.self) { try BootstrapInterval(count: 3, level: 1, seed: 1) { _ throws(MetricError) in 0 } }
        #expect(throws: MetricError.self) { try BootstrapInterval(count: 0, seed: 1) { _ throws(MetricError) in 0 } }
    }
}
