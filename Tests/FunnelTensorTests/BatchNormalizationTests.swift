import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.batchNormalized` against the composed form it replaces, its gradients against finite
/// differences, and its independence from the thread count and the CPU path.
@Suite struct BatchNormalizationTests {
    @Test func matchesTheComposedForm() {
        let input = uniform([37, 21], -3, 5, seed: 1)
        let (gain, offset) = (uniform([21], -1, 1, seed: 2), uniform([21], -1, 1, seed: 3))
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
        let offset = uniform([4], -1, 1, seed: 5)
        let (output, _, variance) = Tensor.batchNormalized(uniform([1, 4], -1, 1, seed: 4), gain: uniform([4], -1, 1, seed: 6), offset: offset, epsilon: 1e-5)
        #expect(output.scalars == offset.scalars)
        #expect(variance.scalars == [0, 0, 0, 0])
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([uniform([6, 5], -2, 2, seed: 7), uniform([5], -1, 1, seed: 8), uniform([5], -1, 1, seed: 9)]) {
            Tensor.batchNormalized($0[0], gain: $0[1], offset: $0[2], epsilon: 1e-5).output
        }
        let (mean, variance) = (uniform([5], -1, 1, seed: 10), uniform([5], 0.5, 2, seed: 11))
        checkGradients([uniform([6, 5], -2, 2, seed: 12), uniform([5], -1, 1, seed: 13), uniform([5], -1, 1, seed: 14)]) {
            Tensor.batchNormalized($0[0], gain: $0[1], offset: $0[2], mean: mean, variance: variance, epsilon: 1e-5)
        }
    }

    /// Forward and backward give the same bits on 1 and 2 threads and on every CPU path.
    @Test func sameBitsOnEveryThreadCountAndPath() {
        func run() -> [[Float]] {
            let input = uniform([300, 200], -2, 2, seed: 15)
            input.requiresGradient = true
            let (gain, offset) = (uniform([200], -1, 1, seed: 16), uniform([200], -1, 1, seed: 17))
            gain.requiresGradient = true
            offset.requiresGradient = true
            let (output, mean, variance) = Tensor.batchNormalized(input, gain: gain, offset: offset, epsilon: 1e-5)
            (output * uniform([300, 200], -1, 1, seed: 18)).sum().backward()
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
