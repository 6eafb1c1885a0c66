import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// Focused (differential) attention, sequential.md §4.3, against the oracles of §4.9.
@Suite struct FocusedAttentionTests {
    private let batch = 2
    private let length = 5
    private let dimensions = 16
    private let heads = 2

    private func layer(seed: UInt64 = 1, layerIndex: Int = 3, lambdaInitial: Float? = nil)
        -> FocusedAttention
    {
        var generator = RandomGenerator(seed: seed)
        let layer = FocusedAttention(
            dimensions: dimensions, heads: heads, layerIndex: layerIndex,
            lambdaInitial: lambdaInitial, generator: &generator)
        layer.headNorm.scale.withUnsafeMutableBufferPointer {
            _ = $0.update(
                fromContentsOf: uniform([2 * layer.headWidth], 0.5, 1.5, seed: seed + 10).scalars)
        }
        return layer
    }

    private func set(_ tensor: Tensor, to value: Float) {
        tensor.withUnsafeMutableBufferPointer { $0.update(repeating: value) }
    }

    private var causal: Tensor { MultiHeadAttention.causalMask(length: length) }

    /// `[B, L, heads·w]` → `[B, heads, L, w]`.
    private func heads(_ x: Tensor, width: Int) -> Tensor {
        x.reshaped([batch, length, heads, width]).permuted([0, 2, 1, 3])
    }

    /// `[B, heads, L, 2d]` → the head norm, the `1 − λ_init` scale and the output projection.
    private func finish(_ layer: FocusedAttention, _ attended: Tensor) -> Tensor {
        let joined = attended.permuted([0, 2, 1, 3])
        let rms = ((joined * joined).mean(alongAxes: [3], keepingDimensions: true) + 1e-5).sqrt()
        let normalised = joined / rms * layer.headNorm.scale * (1 - layer.lambdaInitial)
        return layer.outputProjection(normalised.reshaped([batch, length, dimensions]))
    }

    /// §4.9: with λ forced to 0 and λ_init = 0, each head is standard softmax attention with
    /// Q1, K1 over its 2d-wide value, followed by RMSNorm.
    @Test func withLambdaZeroItIsSoftmaxAttentionThenRMSNorm() {
        let layer = layer(lambdaInitial: 0)
        for vector in [layer.lambdaQuery1, layer.lambdaKey1, layer.lambdaQuery2, layer.lambdaKey2] {
            set(vector, to: 0)
        }
        #expect(layer.currentLambda == 0)
        let input = uniform([batch, length, dimensions], seed: 5)
        let d = layer.headWidth
        func first(_ x: Tensor) -> Tensor {
            x.reshaped([batch, length, heads, 2, d]).sliced(alongAxis: 3, 0..<1).reshaped([
                batch, length, heads * d,
            ])
        }
        let q1 = heads(first(layer.queryProjection(input)), width: d)
        let k1 = heads(first(layer.keyProjection(input)), width: d)
        let scores =
            Tensor.matmul(q1, k1, transposeRight: true) * (1 / Float(d).squareRoot()) + causal
        let attended = Tensor.matmul(
            scores.softmax(), heads(layer.valueProjection(input), width: 2 * d))
        expectClose(layer(input, mask: causal).scalars, finish(layer, attended).scalars)
    }

    /// §4.9 and §4.8: rows of A sum to 1 − λ, and some entries are negative.
    @Test func rowsOfTheMapSumToOneMinusLambda() {
        let layer = layer()
        let lambda = layer.currentLambda
        #expect(abs(lambda - FocusedAttention.lambdaInitial(layer: 3)) > 1e-4)
        let weights = layer.weights(uniform([batch, length, dimensions], seed: 6), mask: causal)
        #expect(weights.shape == [batch, heads, length, length])
        let sums = weights.sum(alongAxes: [3]).scalars
        #expect(sums.allSatisfy { abs($0 - (1 - lambda)) <= 1e-6 })
        #expect(weights.scalars.contains { $0 < -1e-3 })
        // The causal mask: nothing above the diagonal.
        #expect(
            weights.scalars.enumerated().allSatisfy {
                $0.offset % length <= $0.offset / length % length || $0.element == 0
            })
    }

    /// The fused layer equals the explicit map: `(1 − λ_init)·RMSNorm(A·V)`, projected.
    @Test func matchesTheExplicitMap() {
        let layer = layer(seed: 2)
        let input = uniform([batch, length, dimensions], seed: 7)
        let padding = MultiHeadAttention.keyPaddingMask(
            Tensor(shape: [batch, length], scalars: [1, 1, 1, 1, 1, 0, 1, 1, 1, 0]))
        let mask = causal + padding
        let attended = Tensor.matmul(
            layer.weights(input, mask: mask),
            heads(layer.valueProjection(input), width: 2 * layer.headWidth))
        expectClose(layer(input, mask: mask).scalars, finish(layer, attended).scalars)
    }

    @Test func lambdaInitialFollowsTheLayerIndex() {
        #expect(abs(FocusedAttention.lambdaInitial(layer: 0) - 0.2) < 1e-7)
        #expect(abs(FocusedAttention.lambdaInitial(layer: 1) - (0.8 - 0.6 * 0.7408182)) < 1e-6)
        #expect(layer(layerIndex: 2).lambdaInitial == FocusedAttention.lambdaInitial(layer: 2))
        #expect(layer(lambdaInitial: 0.5).lambdaInitial == 0.5)
    }

    /// Gradients of the input, the four projections, the λ vectors and the norm's scale.
    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 3)
        let layer = FocusedAttention(dimensions: 8, heads: 2, layerIndex: 1, generator: &generator)
        for vector in [layer.lambdaQuery1, layer.lambdaKey1, layer.lambdaQuery2, layer.lambdaKey2] {
            vector.withUnsafeMutableBufferPointer {
                _ = $0.update(fromContentsOf: uniform([2], -0.8, 0.8, seed: 9).scalars)
            }
        }
        layer.headNorm.scale.withUnsafeMutableBufferPointer {
            _ = $0.update(fromContentsOf: uniform([4], 0.5, 1.5, seed: 8).scalars)
        }
        let names = layer.namedParameters().map(\.name)
        #expect(
            names.contains("lambdaQuery1") && names.contains("lambdaKey2")
                && names.contains("headNorm.scale"))
        let mask = MultiHeadAttention.causalMask(length: 3)
        // RMSNorm over four small channels curves sharply: a step of 1e-2 leaves a 1% error.
        checkGradients([uniform([2, 3, 8], seed: 10)], parameters: layer.parameters(), step: 1e-3) {
            layer($0[0], mask: mask)
        }
    }

    @Test func aSeedGivesTheSameLayerAndOutputs() {
        let input = uniform([batch, length, dimensions], seed: 11)
        let (first, second, other) = (layer(seed: 4), layer(seed: 4), layer(seed: 5))
        #expect(first.parameters().map(\.scalars) == second.parameters().map(\.scalars))
        #expect(first(input, mask: causal).scalars == second(input, mask: causal).scalars)
        #expect(first(input, mask: causal).scalars != other(input, mask: causal).scalars)
    }

    @Test func weightDropoutActsInTrainingOnlyAndFollowsTheStepSeed() {
        var generator = RandomGenerator(seed: 6)
        let layer = FocusedAttention(
            dimensions: dimensions, heads: heads, weightDropout: 0.5, generator: &generator)
        let input = uniform([batch, length, dimensions], seed: 12)
        layer.reseed(7)
        let first = layer(input, mask: causal).scalars
        layer.reseed(7)
        #expect(layer(input, mask: causal).scalars == first)
        layer.train(false)
        let evaluation = layer(input, mask: causal).scalars
        #expect(evaluation != first && layer(input, mask: causal).scalars == evaluation)
    }
}
