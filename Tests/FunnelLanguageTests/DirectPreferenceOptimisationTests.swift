import Foundation
import FunnelTensor
import Testing

@testable import FunnelLanguage

/// conversational.md §8's DPO oracles, the gradient against finite differences, and the
/// differentiable loss against the plain one.
@Suite struct DirectPreferenceOptimisationTests {
    let objective = DirectPreferenceOptimisation(beta: 0.1)

    @Test func policyEqualToReferenceGivesLogTwoForAnyPair() {
        for (chosen, rejected) in [(-12.5, -40.0), (-3.0, -3.0), (-80.25, -1.5)] {
            let pair = DirectPreferenceOptimisation.Pair(policyChosen: chosen, policyRejected: rejected, referenceChosen: chosen, referenceRejected: rejected)
            #expect(Swift.abs(objective.evaluate([pair]).loss - 0.693147) < 1e-6)
        }
    }

    @Test func aMarginOfTenAtBetaOneTenthGivesTheOracle() {
        // Log-ratio margin (π_c − ρ_c) − (π_r − ρ_r) = (−5 − (−12)) − (−20 − (−17)) = 7 + 3 = 10.
        let pair = DirectPreferenceOptimisation.Pair(policyChosen: -5, policyRejected: -20, referenceChosen: -12, referenceRejected: -17)
        let evaluation = objective.evaluate([pair])
        #expect(Swift.abs(evaluation.loss - 0.313262) < 1e-6)
        // β is a Float: 0.1 widens to 0.100000001…, so the rewards agree to about 1e-7.
        #expect(Swift.abs(evaluation.margin - 1) < 1e-6)
        #expect(evaluation.accuracy == 1)
        #expect(Swift.abs(evaluation.chosenReward - 0.7) < 1e-6 && Swift.abs(evaluation.rejectedReward + 0.3) < 1e-6)
    }

    @Test func gradientsMatchFiniteDifferences() {
        let pairs = [
            DirectPreferenceOptimisation.Pair(policyChosen: -8, policyRejected: -6, referenceChosen: -7, referenceRejected: -9),
            DirectPreferenceOptimisation.Pair(policyChosen: -30, policyRejected: -45, referenceChosen: -31, referenceRejected: -40),
        ]
        let evaluation = objective.evaluate(pairs)
        let step = 1e-5
        for index in pairs.indices {
            var up = pairs, down = pairs
            up[index].policyChosen += step
            down[index].policyChosen -= step
            let chosen = (objective.evaluate(up).loss - objective.evaluate(down).loss) / (2 * step)
            #expect(Swift.abs(chosen - evaluation.policyChosenGradients[index]) < 1e-8)
            up = pairs
            down = pairs
            up[index].policyRejected += step
            down[index].policyRejected -= step
            let rejected = (objective.evaluate(up).loss - objective.evaluate(down).loss) / (2 * step)
            #expect(Swift.abs(rejected - evaluation.policyRejectedGradients[index]) < 1e-8)
        }
    }

    @Test func extremeMarginsStayFinite() {
        let far = DirectPreferenceOptimisation.Pair(policyChosen: 0, policyRejected: -1e6, referenceChosen: 0, referenceRejected: 0)
        let wrong = DirectPreferenceOptimisation.Pair(policyChosen: -1e6, policyRejected: 0, referenceChosen: 0, referenceRejected: 0)
        #expect(objective.evaluate([far]).loss.isFinite && objective.evaluate([far]).loss < 1e-9)
        #expect(Swift.abs(objective.evaluate([wrong]).loss - 1e5) < 0.01)
        #expect(objective.evaluate([]).loss == 0)
    }

    @Test func theDifferentiableLossMatchesAndDifferentiatesOnlyThePolicy() {
        let values: [(Float, Float, Float, Float)] = [(-8, -6, -7, -9), (-30, -45, -31, -40), (-2, -2.5, -2.25, -2)]
        let policyChosen = Tensor(values.map(\.0), requiresGradient: true)
        let policyRejected = Tensor(values.map(\.1), requiresGradient: true)
        let referenceChosen = Tensor(values.map(\.2), requiresGradient: true)
        let referenceRejected = Tensor(values.map(\.3), requiresGradient: true)
        let loss = objective.loss(
            policyChosen: policyChosen, policyRejected: policyRejected, referenceChosen: referenceChosen, referenceRejected: referenceRejected)
        loss.backward()
        let plain = objective.evaluate(values.map {
            DirectPreferenceOptimisation.Pair(policyChosen: Double($0.0), policyRejected: Double($0.1), referenceChosen: Double($0.2), referenceRejected: Double($0.3))
        })
        #expect(Swift.abs(Double(loss.scalars[0]) - plain.loss) < 1e-6)
        for index in values.indices {
            #expect(Swift.abs(Double(policyChosen.gradient!.scalars[index]) - plain.policyChosenGradients[index]) < 1e-6)
            #expect(Swift.abs(Double(policyRejected.gradient!.scalars[index]) - plain.policyRejectedGradients[index]) < 1e-6)
        }
        #expect(referenceChosen.gradient == nil && referenceRejected.gradient == nil)
    }
}
