import Foundation
import FunnelModels
import FunnelTensor
import Testing

/// watchtime.md §2.5: CWM's transform, its two loss halves and the watch-time inverse.
@Suite struct CounterfactualWatchLikelihoodTests {
    let likelihood = CounterfactualWatchLikelihood(costInverse: 40, sigma: 2)
    let target: Float = -0.541325

    @Test func transformMatchesTheOracle() {
        #expect(Swift.abs(likelihood.interest(watchTime: 39) - exp(-1)) < 1e-12)
        #expect(Swift.abs(likelihood.targetLogit(watchTime: 39) - target) < 1e-5)
    }

    @Test func notTruncatedLossIsTheScaledSquare() {
        func loss(_ logit: Float) -> Float {
            likelihood.loss(logits: Tensor([logit]), watchTimes: [39], durations: [60]).scalar
        }
        #expect(Swift.abs(loss(target)) < 1e-6)
        #expect(Swift.abs(loss(target + 2) - 0.5) < 1e-5)
    }

    @Test func truncatedLossIsLogTwoAtTheTargetAndFalls() {
        // A complete play of a 39 s video: only w_c ≥ 39 is known.
        func loss(_ logit: Float) -> Float {
            likelihood.loss(logits: Tensor([logit]), watchTimes: [39], durations: [39]).scalar
        }
        #expect(Swift.abs(loss(target) - Float(M_LN2)) < 1e-5)
        let losses = stride(from: Float(-4), through: 4, by: 0.5).map { loss(target + $0) }
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $0 > $1 })
    }

    @Test func halvesAreAveragedSeparatelyAndAnEmptyHalfIsSkipped() {
        // Two non-truncated rows at +2 (0.5 each) and one truncated row at the target (ln 2):
        // 0.5 + ln 2, not (1 + ln 2)/3.
        let mixed = likelihood.loss(
            logits: Tensor([target + 2, target + 2, target]), watchTimes: [39, 39, 39], durations: [60, 90, 39])
        #expect(Swift.abs(mixed.scalar - (0.5 + Float(M_LN2))) < 1e-5)
        let observedOnly = likelihood.loss(logits: Tensor([target + 2]), watchTimes: [39], durations: [60])
        #expect(observedOnly.scalar.isFinite)
    }

    @Test func gradientOfTheObservedHalfIsTheScaledResidual() {
        let logits = Tensor([target + 2], requiresGradient: true)
        likelihood.loss(logits: logits, watchTimes: [39], durations: [60]).backward()
        // d/ds (s − t)²/(2σ²) = (s − t)/σ² = 0.5.
        #expect(Swift.abs(logits.gradient!.scalars[0] - 0.5) < 1e-5)
    }

    @Test func inverseRecoversTheWatchTime() {
        #expect(Swift.abs(likelihood.predictedWatchTime(logit: target, duration: 400) - 39) < 1e-3)
        #expect(likelihood.predictedWatchTime(logit: target, duration: 20) == 20)
        #expect(likelihood.predictedWatchTime(logit: -50, duration: 20) == 0)
    }
}
