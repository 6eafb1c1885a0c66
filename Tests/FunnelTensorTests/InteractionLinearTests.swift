import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.linearOfTargetInteractions` against the composite it replaces, `linear` of
/// `targetInteractions`: the same values and gradients to rounding, and gradients against finite
/// differences.
@Suite struct InteractionLinearTests {
    /// The composite and the fused layer on copies of the same leaves: (output, the four
    /// gradients) of each, after back-propagating `Σ output ⊙ weights`.
    private func both(rows: Int, length: Int, width: Int, outputs: Int) -> [(Tensor, [Tensor])] {
        let target = uniform([rows, width], -1, 1, seed: 1)
        let sequence = uniform([rows, length, width], -1, 1, seed: 2)
        let weight = uniform([outputs, 4 * width], -1, 1, seed: 3)
        let bias = uniform([outputs], -1, 1, seed: 4)
        let outputWeights = uniform([rows, length, outputs], -1, 1, seed: 5)
        return [false, true].map { fused in
            let leaves = [target, sequence, weight, bias].map {
                Tensor(shape: $0.shape, scalars: $0.scalars, requiresGradient: true)
            }
            let output = fused
                ? Tensor.linearOfTargetInteractions(target: leaves[0], sequence: leaves[1], weight: leaves[2], bias: leaves[3])
                : Tensor.linear(
                    Tensor.targetInteractions(target: leaves[0], sequence: leaves[1]).reshaped([rows * length, 4 * width]),
                    weight: leaves[2], bias: leaves[3]
                ).reshaped([rows, length, outputs])
            (output * outputWeights).sum().backward()
            return (output, leaves.map { $0.gradient! })
        }
    }

    @Test(arguments: [(3, 5, 4, 6), (2, 10, 16, 80), (1, 1, 3, 2)])
    func matchesTheComposite(shape: (Int, Int, Int, Int)) {
        let (rows, length, width, outputs) = shape
        let results = both(rows: rows, length: length, width: width, outputs: outputs)
        let (composite, fused) = (results[0], results[1])
        #expect(fused.0.shape == [rows, length, outputs])
        expectClose(fused.0.scalars, composite.0.scalars)
        for (fusedGradient, compositeGradient) in zip(fused.1, composite.1) {
            #expect(fusedGradient.shape == compositeGradient.shape)
            expectClose(fusedGradient.scalars, compositeGradient.scalars, tolerance: 1e-4)
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([
            uniform([2, 3], -1, 1, seed: 6), uniform([2, 4, 3], -1, 1, seed: 7), uniform([5, 12], -1, 1, seed: 8),
            uniform([5], -1, 1, seed: 9),
        ]) {
            Tensor.linearOfTargetInteractions(target: $0[0], sequence: $0[1], weight: $0[2], bias: $0[3])
        }
    }

    @Test func anEmptySequenceGivesAnEmptyOutputAndZeroGradients() {
        let target = Tensor(shape: [2, 3], scalars: (0..<6).map(Float.init), requiresGradient: true)
        let weight = Tensor(shape: [4, 12], scalars: (0..<48).map { Float($0) / 10 }, requiresGradient: true)
        let bias = Tensor(shape: [4], scalars: [1, 2, 3, 4], requiresGradient: true)
        let output = Tensor.linearOfTargetInteractions(
            target: target, sequence: Tensor.zeros([2, 0, 3]), weight: weight, bias: bias)
        #expect(output.shape == [2, 0, 4])
        output.sum().backward()
        #expect(target.gradient!.scalars.allSatisfy { $0 == 0 } && bias.gradient!.scalars.allSatisfy { $0 == 0 })
        #expect(weight.gradient!.scalars.allSatisfy { $0 == 0 })
    }
}
