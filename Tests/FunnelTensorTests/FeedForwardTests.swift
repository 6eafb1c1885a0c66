import FunnelTensor
import FunnelTestSupport
import Testing

/// `Tensor.feedForwardGELU`: the two fused layers against ``Tensor/linearGELU(_:weight:bias:)``
/// followed by ``Tensor/linear(_:weight:bias:adding:)``, forward and backward, and against
/// finite differences.
@Suite struct FeedForwardTests {
    /// The same bits as the two layers apart, values and every gradient: the epilogue's
    /// product by GELU′ is the pass's, and both sum the bias gradients with the weight's
    /// product. Sizes: the blocked kernel (a hidden layer of 256 over 300 rows, the weight
    /// gradients over two depth blocks), chunks of rows (1,024 rows: four depth blocks, a chunk
    /// each, on 2 threads; 64 outputs, whose weight gradient is summed transposed), the
    /// small-product path, and no rows; on 1 and 2 threads.
    @Test(arguments: [(300, 16, 256, 16), (1024, 24, 256, 64), (5, 3, 4, 3), (0, 4, 8, 4)], [false, true])
    func equalsTheTwoLayers(size: (rows: Int, width: Int, hidden: Int, outputs: Int), residual adding: Bool) {
        for threads in [1, 2] {
            Compute.withThreads(threads) { compareWithTheTwoLayers(size: size, residual: adding) }
        }
    }

    func compareWithTheTwoLayers(size: (rows: Int, width: Int, hidden: Int, outputs: Int), residual adding: Bool) {
        let (rows, width, hidden, outputs) = size
        func parameter(_ shape: [Int], seed: UInt64) -> Tensor {
            Tensor(shape: shape, scalars: uniform(shape, -1, 1, seed: seed).scalars, requiresGradient: true)
        }
        let input = parameter([rows, width], seed: 1)
        let (inWeight, inBias) = (parameter([hidden, width], seed: 2), parameter([hidden], seed: 3))
        let (outWeight, outBias) = (parameter([outputs, hidden], seed: 4), parameter([outputs], seed: 5))
        let residual = adding ? parameter([rows, outputs], seed: 6) : nil
        let projection = uniform([rows, outputs], seed: 7)
        let parameters = [input, inWeight, inBias, outWeight, outBias] + (residual.map { [$0] } ?? [])
        func run(fused: Bool) -> (values: [UInt32], gradients: [[UInt32]]) {
            for tensor in parameters { tensor.zeroGradient() }
            let output = fused
                ? Tensor.feedForwardGELU(
                    input, inWeight: inWeight, inBias: inBias, outWeight: outWeight, outBias: outBias, adding: residual)
                : Tensor.linear(
                    Tensor.linearGELU(input, weight: inWeight, bias: inBias), weight: outWeight, bias: outBias,
                    adding: residual)
            (output * projection).sum().backward()
            return (output.scalars.map(\.bitPattern), parameters.map { $0.gradient!.scalars.map(\.bitPattern) })
        }
        let (fused, apart) = (run(fused: true), run(fused: false))
        #expect(fused.values == apart.values)
        #expect(fused.gradients == apart.gradients)
    }

    @Test func gradient() {
        checkGradients([
            uniform([4, 3], -1, 1), uniform([6, 3], -1, 1, seed: 2), uniform([6], -1, 1, seed: 3),
            uniform([2, 6], -1, 1, seed: 4), uniform([2], -1, 1, seed: 5), uniform([4, 2], seed: 6),
        ]) {
            Tensor.feedForwardGELU($0[0], inWeight: $0[1], inBias: $0[2], outWeight: $0[3], outBias: $0[4], adding: $0[5])
        }
    }
}
