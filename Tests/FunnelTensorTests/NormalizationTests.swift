import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.layerNormalized` against the composed form it replaces, and its gradients against
/// finite differences.
@Suite struct NormalizationTests {
    @Test func matchesTheComposedForm() {
        let input = uniform([3, 4, 5], -3, 3, seed: 1)
        let (gain, offset) = (uniform([5], -1, 1, seed: 2), uniform([5], -1, 1, seed: 3))
        let fused = Tensor.layerNormalized(input, gain: gain, offset: offset, epsilon: 1e-5)
        let mean = input.mean(alongAxes: [-1], keepingDimensions: true)
        let centered = input - mean
        let variance = (centered * centered).mean(alongAxes: [-1], keepingDimensions: true)
        let composed = centered / (variance + 1e-5).sqrt() * gain + offset
        #expect(zip(fused.scalars, composed.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([uniform([4, 6], -2, 2, seed: 4), uniform([6], -1, 1, seed: 5), uniform([6], -1, 1, seed: 6)]) {
            Tensor.layerNormalized($0[0], gain: $0[1], offset: $0[2], epsilon: 1e-5)
        }
    }
}

/// `Tensor.targetInteractions` against the composed `[t, s, t − s, t ⊙ s]`, and its gradients.
@Suite struct TargetInteractionTests {
    @Test func matchesTheComposedForm() {
        let (target, sequence) = (uniform([3, 4], -1, 1, seed: 1), uniform([3, 5, 4], -1, 1, seed: 2))
        let targets = target.reshaped([3, 1, 4]).broadcasted(to: [3, 5, 4])
        let composed = Tensor.concatenated([targets, sequence, targets - sequence, targets * sequence], alongAxis: 2)
        #expect(Tensor.targetInteractions(target: target, sequence: sequence).scalars == composed.scalars)
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([uniform([2, 3], -1, 1, seed: 3), uniform([2, 4, 3], -1, 1, seed: 4)]) {
            Tensor.targetInteractions(target: $0[0], sequence: $0[1])
        }
    }
}

/// `l2Normalised(alongAxis:)`: unit rows, a zero row left at zero, gradients.
@Suite struct L2NormalisationTests {
    @Test func givesUnitVectorsAndKeepsZeros() {
        let x = Tensor(shape: [3, 2], scalars: [3, 4, 0, 0, -1, 0])
        #expect(x.l2Normalised(alongAxis: 1).scalars == [0.6, 0.8, 0, 0, -1, 0])
        let columns = Tensor(shape: [2, 2], scalars: [3, 0, 4, 2]).l2Normalised(alongAxis: 0).scalars
        #expect(columns == [0.6, 0, 0.8, 1])
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([uniform([3, 4], 0.5, 2)]) { $0[0].l2Normalised(alongAxis: 1) }
    }
}
