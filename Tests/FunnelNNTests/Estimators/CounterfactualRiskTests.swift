import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// entire-space.md §3's oracles for the IPS and doubly-robust estimators.
@Suite struct CounterfactualRiskTests {
    @Test func uniformPropensityGivesThePlainMeanOverObservedRows() {
        let losses = Tensor([0.5, 1.5, 2, 4])
        let observed = Tensor([1, 0, 1, 0])
        let risk = CounterfactualRisk.inversePropensity(losses: losses, observed: observed, propensities: Tensor([0.5, 0.5, 0.5, 0.5]))
        expectClose([risk.scalar], [(0.5 + 2) / 2])
        let normalised = CounterfactualRisk.inversePropensity(
            losses: losses, observed: observed, propensities: Tensor([0.2, 0.5, 0.8, 0.5]), normalisation: .selfNormalised)
        expectClose([normalised.scalar], [(0.5 / 0.2 + 2 / 0.8) / (1 / 0.2 + 1 / 0.8)])
    }

    @Test func inversePropensityIsUnbiased() {
        // δ fixed on 1,000 rows, O ~ Bernoulli(p) with p ∈ [0.1, 0.9], 20,000 draws: the mean
        // of R_IPS is within 0.5 % of mean(δ).
        var generator = RandomGenerator(seed: 11)
        let rows = 1000
        let losses = Tensor.randomUniform([rows], low: 0, high: 2, using: &generator)
        let propensities = Tensor.randomUniform([rows], low: 0.1, high: 0.9, using: &generator)
        let probabilities = propensities.scalars
        var total = 0.0
        let draws = 20_000
        for _ in 0..<draws {
            let observed = Tensor(probabilities.map { generator.nextUnitFloat() < $0 ? 1 : 0 })
            total += Double(CounterfactualRisk.inversePropensity(losses: losses, observed: observed, propensities: propensities).scalar)
        }
        let truth = Double(losses.mean().scalar)
        #expect(abs(total / Double(draws) - truth) / truth < 0.005)
    }

    @Test func doublyRobustWithExactImputation() {
        let errors = Tensor([0.3, 1.2, 0.7, 0.1])
        let observed = Tensor([1, 0, 1, 1])
        for propensities in [Tensor([0.5, 0.5, 0.5, 0.5]), Tensor([0.05, 0.9, 0.3, 0.7])] {
            let (risk, imputation) = CounterfactualRisk.doublyRobust(
                errors: errors, imputedErrors: errors, observed: observed, propensities: propensities)
            expectClose([risk.scalar, imputation.scalar], [errors.mean().scalar, 0])
        }
    }

    @Test func weightsAreFlooredCappedConstants() {
        let logits = Tensor([-40, 0, 40], requiresGradient: true)
        let observed = Tensor([1, 1, 0])
        let clicked = CounterfactualRisk.observedWeights(propensityLogits: logits, observed: observed, floor: 1e-3)
        expectClose(clicked.scalars, [1000, 2, 0])
        expectClose(CounterfactualRisk.observedWeights(propensityLogits: logits, observed: observed, cap: 15).scalars, [15, 2, 0])
        let unclicked = CounterfactualRisk.unobservedWeights(propensityLogits: logits, observed: observed, floor: 1e-3)
        expectClose(unclicked.scalars, [0, 0, 1000])
        #expect(!clicked.requiresGradient && !unclicked.requiresGradient)
    }
}
