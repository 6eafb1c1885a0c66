import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.batchNormalized` against the composed form it replaces, its gradients against finite
/// differences, and its independence from the thread count and the CPU path.
@Suite struct BatchNormalizationTests {
    private func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: low, high: high, using: &generator)
    }

    @Test func matchesTheComposedForm() {
        let input = random([37, 21], seed: 1, low: -3, high: 5)
        let (gain, offset) = (random([21], seed: 2), random([21], seed: 3))
        let (fused, mean, variance) = Tensor.batchNormalized(input, gain: gain, offset: offset, epsilon: 1e-5)
        let composedMean = input.mean(alongAxes: [0], keepingDimensions: true)
        let centered = input - composedMean
        let composedVariance = (centered * centered).mean(alongAxes: [0], keepingDimensions: true)
        let composed = centered / (composedVariance + 1e-5).sqrt() * gain + offset
        expectClose(fused.scalars, composed.scalars, tolerance: 2e-5)
        expectClose(mean.scalars, composedMean.scalars, tolerance: 1e-6)
        expectClose(variance.scalars, composedVariance.scalars, tolerance: 1e-5)
        // With given statistics: (x − mean)/√(variance + ε)·gain + offset.
        let running = Tensor.batchNormalized(input, gain: gain, offset: offset, mean: mean, variance: variance, epsilon: 1e-5)
        expectClose(running.scalars, composed.scalars, tolerance: 2e-5)
    }

    /// One row: the batch variance is 0, every value normalises to the offset.
    @Test func oneRowNormalisesToTheOffset() {
        let offset = random([4], seed: 5)
        let (output, _, variance) = Tensor.batchNormalized(random([1, 4], seed: 4), gain: random([4], seed: 6), offset: offset, epsilon: 1e-5)
        #expect(output.scalars == offset.scalars)
        #expect(variance.scalars == [0, 0, 0, 0])
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([random([6, 5], seed: 7, low: -2, high: 2), random([5], seed: 8), random([5], seed: 9)]) {
            Tensor.batchNormalized($0[0], gain: $0[1], offset: $0[2], epsilon: 1e-5).output
        }
        let (mean, variance) = (random([5], seed: 10), random([5], seed: 11, low: 0.5, high: 2))
        checkGradients([random([6, 5], seed: 12, low: -2, high: 2), random([5], seed: 13), random([5], seed: 14)]) {
            Tensor.batchNormalized($0[0], gain: $0[1], offset: $0[2], mean: mean, variance: variance, epsilon: 1e-5)
        }
    }

    /// Forward and backward give the same bits on 1 and 2 threads and on every CPU path.
    @Test func sameBitsOnEveryThreadCountAndPath() {
        func run() -> [[Float]] {
            let input = random([300, 200], seed: 15, low: -2, high: 2)
            input.requiresGradient = true
            let (gain, offset) = (random([200], seed: 16), random([200], seed: 17))
            gain.requiresGradient = true
            offset.requiresGradient = true
            let (output, mean, variance) = Tensor.batchNormalized(input, gain: gain, offset: offset, epsilon: 1e-5)
            (output * random([300, 200], seed: 18)).sum().backward()
            return [output.scalars, mean.scalars, variance.scalars, input.gradient!.scalars, gain.gradient!.scalars, offset.gradient!.scalars]
        }
        expectSameBitsOnEveryThreadCountAndPath(run)
    }
}

/// `Tensor.dropout`: the keep rate and scale, the mask as a function of the key only, and the
/// gradient through the same mask.
@Suite struct DropoutTests {
    @Test func keepsTheStatedShareScaled() {
        let input = Tensor.ones([1000, 100])
        let output = Tensor.dropout(input, keep: 0.8, key: 7)
        let kept = output.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 1 / Float(0.8) })
        // 100,000 Bernoulli(0.8) draws: the standard deviation of the share is 0.0013.
        #expect(abs(Double(kept.count) / 100_000 - 0.8) < 0.005)
        // Neighbouring elements are not correlated: P(both kept) ≈ 0.64.
        let both = stride(from: 0, to: 99_999, by: 2).filter { output.scalars[$0] != 0 && output.scalars[$0 + 1] != 0 }.count
        #expect(abs(Double(both) / 50_000 - 0.64) < 0.01)
        #expect(Tensor.dropout(input, keep: 1, key: 7).scalars == input.scalars)
    }

    @Test func theMaskIsAFunctionOfTheKey() {
        let input = Tensor.ones([300, 300])
        let first = Compute.withThreads(1) { Tensor.dropout(input, keep: 0.5, key: 11).scalars }
        #expect(Compute.withThreads(2) { Tensor.dropout(input, keep: 0.5, key: 11).scalars } == first)
        #expect(Tensor.dropout(input, keep: 0.5, key: 12).scalars != first)
        #expect(Tensor.dropout(input, keep: 0.5, key: 11 | 1 << 40).scalars != first)
    }

    @Test func theGradientGoesThroughTheSameMask() {
        var generator = RandomGenerator(seed: 3)
        let input = Tensor.randomUniform([40, 30], low: -1, high: 1, using: &generator, requiresGradient: true)
        let output = Tensor.dropout(input, keep: 0.7, key: 99)
        output.sum().backward()
        let expected = output.scalars.map { $0 == 0 ? Float(0) : 1 / Float(0.7) }
        #expect(input.gradient!.scalars == expected)
    }
}
