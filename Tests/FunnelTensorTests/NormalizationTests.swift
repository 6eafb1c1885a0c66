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
