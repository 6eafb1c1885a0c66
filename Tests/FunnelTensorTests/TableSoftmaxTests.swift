import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// The fused, chunked table softmax cross-entropy against its unfused composition (matmul,
/// log-softmax, gather, mean), and a finite-difference gradient check.
@Suite struct TableSoftmaxTests {
    private func unfused(_ hidden: Tensor, _ table: Tensor, classes: Range<Int>, labels: [Int32]) -> Tensor {
        let logits = Tensor.matmul(hidden, table.sliced(alongAxis: 0, classes), transposeRight: true)
        let picked = logits.logSoftmax().gathered(alongAxis: 1, indices: labels, indexShape: [labels.count, 1])
        return -picked.sum() / Float(labels.count)
    }

    @Test(arguments: [1, 3, 64])
    func matchesTheUnfusedComposition(chunkRows: Int) {
        let hidden = uniform([7, 5], -2, 2, seed: 1)
        let table = uniform([13, 5], -2, 2, seed: 2)
        hidden.requiresGradient = true
        table.requiresGradient = true
        let labels: [Int32] = [0, 3, 10, 4, 4, 9, 1]
        let fused = Tensor.tableSoftmaxCrossEntropy(hidden: hidden, table: table, classes: 1..<12, labels: labels, chunkRows: chunkRows)
        fused.backward()
        let (fusedHidden, fusedTable) = (hidden.gradient!.scalars, table.gradient!.scalars)
        hidden.gradient = nil
        table.gradient = nil
        let reference = unfused(hidden, table, classes: 1..<12, labels: labels)
        reference.backward()
        #expect(abs(fused.scalar - reference.scalar) <= 1e-5)
        expectClose(fusedHidden, hidden.gradient!.scalars, tolerance: 1e-5)
        expectClose(fusedTable, table.gradient!.scalars, tolerance: 1e-5)
        // Rows outside the classes get no gradient.
        #expect(fusedTable[0..<5].allSatisfy { $0 == 0 } && fusedTable[60..<65].allSatisfy { $0 == 0 })
    }

    @Test func gradients() {
        checkGradients([uniform([4, 3], -1, 1, seed: 3), uniform([9, 3], -1, 1, seed: 4)]) {
            Tensor.tableSoftmaxCrossEntropy(hidden: $0[0], table: $0[1], classes: 2..<8, labels: [5, 0, 2, 2], chunkRows: 3) * 2
        }
    }

    @Test func withoutGradientsOnlyTheLoss() {
        let hidden = uniform([6, 4], seed: 5)
        let table = uniform([10, 4], seed: 6)
        let labels: [Int32] = [1, 2, 3, 4, 5, 6]
        let loss = withoutGradients { Tensor.tableSoftmaxCrossEntropy(hidden: hidden, table: table, classes: 0..<10, labels: labels, chunkRows: 4) }
        #expect(abs(loss.scalar - unfused(hidden, table, classes: 0..<10, labels: labels).scalar) <= 1e-5)
    }
}
