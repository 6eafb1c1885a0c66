import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.layerNormalized` against the composed form it replaces, and its gradients against
/// finite differences.
@Suite struct NormalizationTests {
    private func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: low, high: high, using: &generator)
    }

    @Test func matchesTheComposedForm() {
        let input = random([3, 4, 5], seed: 1, low: -3, high: 3)
        let (gain, offset) = (random([5], seed: 2), random([5], seed: 3))
        let fused = Tensor.layerNormalized(input, gain: gain, offset: offset, epsilon: 1e-5)
        let mean = input.mean(alongAxes: [-1], keepingDimensions: true)
        let centered = input - mean
        let variance = (centered * centered).mean(alongAxes: [-1], keepingDimensions: true)
        let composed = centered / (variance + 1e-5).sqrt() * gain + offset
        #expect(zip(fused.scalars, composed.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([random([4, 6], seed: 4, low: -2, high: 2), random([6], seed: 5), random([6], seed: 6)]) {
            Tensor.layerNormalized($0[0], gain: $0[1], offset: $0[2], epsilon: 1e-5)
        }
    }
}

/// `Tensor.targetInteractions` against the composed `[t, s, t − s, t ⊙ s]`, and its gradients.
@Suite struct TargetInteractionTests {
    private func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: -1, high: 1, using: &generator)
    }

    @Test func matchesTheComposedForm() {
        let (target, sequence) = (random([3, 4], seed: 1), random([3, 5, 4], seed: 2))
        let targets = target.reshaped([3, 1, 4]).broadcasted(to: [3, 5, 4])
        let composed = Tensor.concatenated([targets, sequence, targets - sequence, targets * sequence], alongAxis: 2)
        #expect(Tensor.targetInteractions(target: target, sequence: sequence).scalars == composed.scalars)
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([random([2, 3], seed: 3), random([2, 4, 3], seed: 4)]) {
            Tensor.targetInteractions(target: $0[0], sequence: $0[1])
        }
    }
}
