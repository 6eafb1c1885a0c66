import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

// RAR's set-to-set co-interaction (adaptation.md §1.2.2, §1.6).

@Suite struct CoInteractionTests {
    /// The rows of `tensor` `[n, k, d]` reordered along axis 1 by `order`.
    func permuted(_ tensor: Tensor, _ order: [Int]) -> Tensor {
        let (rows, count, width) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
        let indices = (0..<rows).flatMap { row in order.map { Int32(row * count + $0) } }
        return tensor.reshaped([rows * count, width]).indexSelect(indices).reshaped([rows, count, width])
    }

    @Test func outputIsInvariantToTheOrderOfBothSets() {
        let layer = CoInteraction(dimensions: 4)
        // Non-trivial norm weights, so the check does not rest on gain 1, offset 0.
        layer.lookAlikeNorm.gain.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: [1.5, 0.5, -1, 2]) }
        layer.recallNorm.offset.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: [0.1, -0.2, 0.3, 0]) }
        let lookAlikes = uniform([2, 5, 4], seed: 1)
        let recalls = uniform([2, 3, 4], seed: 2)
        let target = uniform([2, 4], seed: 3)
        let reference = layer(lookAlikes: lookAlikes, recalls: recalls, target: target)
        #expect(reference.shape == [2, 8])
        let lookAlikeOrder = [3, 0, 4, 1, 2]
        let recallOrder = [2, 0, 1]
        for (shuffledLookAlikes, shuffledRecalls) in [
            (permuted(lookAlikes, lookAlikeOrder), recalls), (lookAlikes, permuted(recalls, recallOrder)),
            (permuted(lookAlikes, lookAlikeOrder), permuted(recalls, recallOrder)),
        ] {
            let output = layer(lookAlikes: shuffledLookAlikes, recalls: shuffledRecalls, target: target)
            expectClose(output.scalars, reference.scalars, tolerance: 1e-5)
        }
        // The interacted sets themselves are permuted with their inputs (equivariance).
        let (interacted, _) = layer.interacted(lookAlikes: lookAlikes, recalls: recalls)
        let (shuffled, _) = layer.interacted(lookAlikes: permuted(lookAlikes, lookAlikeOrder), recalls: recalls)
        expectClose(shuffled.scalars, permuted(interacted, lookAlikeOrder).scalars, tolerance: 1e-5)
    }

    @Test func orderMattersWhenTheSetsChange() {
        // The oracle can fail: replacing one look-alike changes the output.
        let layer = CoInteraction(dimensions: 4)
        let lookAlikes = uniform([1, 3, 4], seed: 4)
        let recalls = uniform([1, 2, 4], seed: 5)
        let target = uniform([1, 4], seed: 6)
        let changed = Tensor.concatenated([lookAlikes.reshaped([3, 4]).indexSelect([0, 1]), uniform([1, 4], seed: 7)], alongAxis: 0)
            .reshaped([1, 3, 4])
        let first = layer(lookAlikes: lookAlikes, recalls: recalls, target: target).scalars
        let second = layer(lookAlikes: changed, recalls: recalls, target: target).scalars
        #expect(zip(first, second).contains { Swift.abs($0 - $1) > 1e-4 })
    }

    @Test func matchesTheEquationsOnOneRow() {
        // One look-alike and one recall item: every softmax is 1, so
        // L' = LN(l + r), R' = LN(r + l), u_L = L', u_R = R'.
        let layer = CoInteraction(dimensions: 3)
        let lookAlike = Tensor(shape: [1, 1, 3], scalars: [1, 2, 3])
        let recall = Tensor(shape: [1, 1, 3], scalars: [0, -1, 4])
        let output = layer(lookAlikes: lookAlike, recalls: recall, target: Tensor(shape: [1, 3], scalars: [1, 0, 0]))
        let sum: [Float] = [1, 1, 7]
        let mean = sum.reduce(0, +) / 3
        let variance = sum.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3
        let normalised = sum.map { ($0 - mean) / (variance + 1e-5).squareRoot() }
        expectClose(output.scalars, normalised + normalised, tolerance: 1e-5)
    }

    @Test func gradients() {
        let layer = CoInteraction(dimensions: 3)
        checkGradients([uniform([2, 3, 3], seed: 8), uniform([2, 2, 3], seed: 9), uniform([2, 3], seed: 10)], parameters: layer.parameters()) {
            layer(lookAlikes: $0[0], recalls: $0[1], target: $0[2])
        }
    }
}
