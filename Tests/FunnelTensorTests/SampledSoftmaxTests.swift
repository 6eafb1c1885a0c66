import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// The fused sampled softmax cross-entropy against its unfused composition (positive dots,
/// negative logits by matmul, the shift, the exclusions, log-softmax of the positive), and a
/// finite-difference gradient check.
@Suite struct SampledSoftmaxTests {
    private func unfused(
        _ hidden: Tensor, _ positives: Tensor, _ negatives: Tensor, shift: Float, excluded: [(row: Int, negative: Int)]
    ) -> Tensor {
        let (rows, count) = (hidden.shape[0], negatives.shape[0])
        let positive = (hidden * positives).sum(alongAxes: [1]).reshaped([rows, 1])
        var correction = [Float](repeating: shift, count: rows * count)
        for (row, negative) in excluded { correction[row * count + negative] = 1e9 }
        let negative = Tensor.matmul(hidden, negatives, transposeRight: true) - Tensor(shape: [rows, count], scalars: correction)
        let logits = Tensor.concatenated([positive, negative], alongAxis: 1)
        let picked = logits.logSoftmax().gathered(alongAxis: 1, indices: Array(repeating: 0, count: rows), indexShape: [rows, 1])
        return -picked.sum() / Float(rows)
    }

    @Test(arguments: [Float(0), -1.7])
    func matchesTheUnfusedComposition(shift: Float) {
        let hidden = uniform([7, 5], -2, 2, seed: 1)
        let positives = uniform([7, 5], -2, 2, seed: 2)
        let negatives = uniform([4, 5], -2, 2, seed: 3)
        for tensor in [hidden, positives, negatives] { tensor.requiresGradient = true }
        let excluded = [(row: 2, negative: 1), (row: 2, negative: 3), (row: 6, negative: 0)]
        let fused = Tensor.sampledSoftmaxCrossEntropy(
            hidden: hidden, positives: positives, negatives: negatives, shift: shift, excluded: excluded)
        (fused * 3).backward()
        let fusedGradients = [hidden, positives, negatives].map { $0.gradient!.scalars }
        for tensor in [hidden, positives, negatives] { tensor.gradient = nil }
        let reference = unfused(hidden, positives, negatives, shift: shift, excluded: excluded)
        (reference * 3).backward()
        #expect(abs(fused.scalar - reference.scalar) <= 1e-5)
        for (fusedGradient, tensor) in zip(fusedGradients, [hidden, positives, negatives]) {
            expectClose(fusedGradient, tensor.gradient!.scalars, tolerance: 1e-5)
        }
    }

    @Test func anExcludedNegativeGetsNoGradient() {
        let hidden = uniform([2, 3], seed: 4)
        let negatives = uniform([2, 3], seed: 5)
        negatives.requiresGradient = true
        // Row 0 excludes negative 1 and row 1 excludes negative 1 too: nothing reaches it.
        let loss = Tensor.sampledSoftmaxCrossEntropy(
            hidden: hidden, positives: uniform([2, 3], seed: 6), negatives: negatives,
            excluded: [(row: 0, negative: 1), (row: 1, negative: 1)])
        loss.backward()
        #expect(negatives.gradient!.scalars[3..<6].allSatisfy { $0 == 0 })
        #expect(negatives.gradient!.scalars[0..<3].contains { $0 != 0 })
    }

    @Test func gradients() {
        checkGradients([uniform([4, 3], -1, 1, seed: 7), uniform([4, 3], -1, 1, seed: 8), uniform([5, 3], -1, 1, seed: 9)]) {
            Tensor.sampledSoftmaxCrossEntropy(hidden: $0[0], positives: $0[1], negatives: $0[2], shift: 0.5, excluded: [(1, 2)]) * 2
        }
    }
}
