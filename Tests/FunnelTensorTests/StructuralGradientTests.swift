import Testing

@testable import FunnelTensor
import FunnelTestSupport

// Reductions, shape operations, indexing and products: forward values by hand, gradients by
// finite differences.

@Suite struct ReductionTests {
    @Test func sumAll() { checkGradients([uniform([2, 3])]) { $0[0].sum() } }
    @Test func sumAxes() { checkGradients([uniform([2, 3, 4])]) { $0[0].sum(alongAxes: [0, 2]) } }
    @Test func meanKeepingDimensions() {
        checkGradients([uniform([2, 3, 4])]) { $0[0].mean(alongAxes: [1], keepingDimensions: true) }
    }
    @Test func maximumAlongAxis() { checkGradients([uniform([3, 5])]) { $0[0].max(alongAxes: [1]) } }
    @Test func minimumAlongAxis() { checkGradients([uniform([3, 5])]) { $0[0].min(alongAxes: [0]) } }
    @Test func logSumExp() { checkGradients([uniform([3, 5], -5, 5)]) { $0[0].logSumExp(alongAxes: [-1]) } }
    @Test func logSumExpMiddleAxis() { checkGradients([uniform([2, 5, 3], -5, 5)]) { $0[0].logSumExp(alongAxes: [1]) } }
    @Test func softmax() { checkGradients([uniform([3, 5], -4, 4)]) { $0[0].softmax() } }
    @Test func softmaxFirstAxis() { checkGradients([uniform([3, 5], -4, 4)]) { $0[0].softmax(alongAxis: 0) } }
    @Test func logSoftmax() { checkGradients([uniform([3, 5], -4, 4)]) { $0[0].logSoftmax() } }

    @Test func forwardValues() {
        let x = Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
        #expect(x.sum().scalar == 21)
        #expect(x.sum(alongAxes: [0]).scalars == [5, 7, 9])
        #expect(x.sum(alongAxes: [1], keepingDimensions: true).shape == [2, 1])
        #expect(x.mean(alongAxes: [1]).scalars == [3, 4])
        #expect(x.max(alongAxes: [1]).scalars == [5, 6])
        #expect(x.min(alongAxes: [0]).scalars == [1, 2, 3])
        expectClose(Tensor([1, 2, 3]).softmax().scalars, [0.09003057, 0.24472847, 0.66524096])
        expectClose(Tensor([1, 2, 3]).logSumExp().scalars, [3.4076059])
    }

    @Test func largeSumsDoNotDependOnThreadCount() {
        let x = uniform([3, 300_000])
        let one = Compute.withThreads(1) { (x.sum(alongAxes: [1]).scalars, x.sum(alongAxes: [0]).scalars) }
        let two = Compute.withThreads(2) { (x.sum(alongAxes: [1]).scalars, x.sum(alongAxes: [0]).scalars) }
        #expect(one.0 == two.0 && one.1 == two.1)
    }
}

@Suite struct ShapeTests {
    @Test func reshape() { checkGradients([uniform([2, 6])]) { $0[0].reshaped([3, -1]) * $0[0].reshaped([3, 4]) } }
    @Test func permute() { checkGradients([uniform([2, 3, 4])]) { $0[0].permuted([2, 0, 1]) } }
    @Test func transpose() { checkGradients([uniform([3, 4])]) { $0[0].transposed() } }
    @Test func broadcast() { checkGradients([uniform([3, 1])]) { $0[0].broadcasted(to: [2, 3, 4]) } }
    @Test func slice() { checkGradients([uniform([4, 5])]) { $0[0].sliced(alongAxis: 1, 1..<4) } }
    @Test func concat() {
        checkGradients([uniform([2, 3]), uniform([2, 2], seed: 3)]) { Tensor.concatenated($0, alongAxis: 1) }
    }
    @Test func split() {
        checkGradients([uniform([5, 2])]) { input in
            let parts = input[0].split(sizes: [2, 3], alongAxis: 0)
            return parts[0].sum() * parts[1].sum(alongAxes: [0])
        }
    }

    @Test func forwardValues() {
        let x = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(x.transposed().scalars == [0, 3, 1, 4, 2, 5])
        #expect(x.reshaped([3, -1]).shape == [3, 2])
        #expect(x.sliced(alongAxis: 1, 1..<3).scalars == [1, 2, 4, 5])
        #expect(Tensor.concatenated([x, x], alongAxis: 0).shape == [4, 3])
        #expect(Tensor.concatenated([x, x], alongAxis: 1).scalars == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
        #expect(x.split(sizes: [1, 2], alongAxis: 1).map(\.scalars) == [[0, 3], [1, 2, 4, 5]])
        #expect(Tensor([1, 2]).broadcasted(to: [2, 2]).scalars == [1, 2, 1, 2])
        let cube = Tensor(shape: [2, 2, 2], scalars: (0..<8).map(Float.init))
        #expect(cube.permuted([2, 1, 0]).scalars == [0, 4, 2, 6, 1, 5, 3, 7])
    }
}

@Suite struct IndexingTests {
    @Test func indexSelectRows() {
        checkGradients([uniform([4, 3])]) { $0[0].indexSelect([2, 0, 2, 3], alongAxis: 0) }
    }
    @Test func indexSelectColumns() {
        checkGradients([uniform([2, 4, 3])]) { $0[0].indexSelect([1, 1, 0], alongAxis: 1) }
    }
    @Test func gather() {
        checkGradients([uniform([3, 4])]) { $0[0].gathered(alongAxis: 1, indices: [0, 3, 3, 1, 2, 0], indexShape: [3, 2]) }
    }
    @Test func scatterAdd() {
        checkGradients([uniform([3, 4]), uniform([2, 4], seed: 7)]) {
            $0[0].scatteringAdd(alongAxis: 0, indices: [2, 0, 1, 2, 0, 0, 2, 1], indexShape: [2, 4], source: $0[1])
        }
    }

    @Test func forwardValues() {
        let x = Tensor(shape: [3, 2], scalars: [0, 1, 2, 3, 4, 5])
        #expect(x.indexSelect([2, 0]).scalars == [4, 5, 0, 1])
        #expect(x.gathered(alongAxis: 1, indices: [1, 0, 0], indexShape: [3, 1]).scalars == [1, 2, 4])
        let scattered = Tensor.zeros([2, 2]).scatteringAdd(
            alongAxis: 0, indices: [1, 1, 1, 0], indexShape: [2, 2], source: Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        #expect(scattered.scalars == [0, 4, 4, 2])
        #expect(Tensor.oneHot([2, 0], classes: 3).scalars == [0, 0, 1, 1, 0, 0])
    }
}

@Suite struct MatrixMultiplyTests {
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matrices(transposeLeft: Bool, transposeRight: Bool) {
        let left = uniform(transposeLeft ? [4, 3] : [3, 4])
        let right = uniform(transposeRight ? [5, 4] : [4, 5], seed: 8)
        checkGradients([left, right]) {
            Tensor.matmul($0[0], $0[1], transposeLeft: transposeLeft, transposeRight: transposeRight)
        }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func batches(transposeLeft: Bool, transposeRight: Bool) {
        let left = uniform(transposeLeft ? [2, 4, 3] : [2, 3, 4])
        let right = uniform(transposeRight ? [2, 5, 4] : [2, 4, 5], seed: 8)
        checkGradients([left, right]) {
            Tensor.matmul($0[0], $0[1], transposeLeft: transposeLeft, transposeRight: transposeRight)
        }
    }

    @Test func sharedWeightAcrossBatch() {
        checkGradients([uniform([2, 3, 4]), uniform([4, 2], seed: 9)]) { Tensor.matmul($0[0], $0[1]) }
        checkGradients([uniform([3, 4]), uniform([2, 4, 2], seed: 9)]) { Tensor.matmul($0[0], $0[1]) }
        checkGradients([uniform([2, 4, 3]), uniform([4, 2], seed: 9)]) { Tensor.matmul($0[0], $0[1], transposeLeft: true) }
    }

    @Test func fourDimensionalAttentionShapes() {
        checkGradients([uniform([2, 2, 3, 4]), uniform([2, 2, 3, 4], seed: 10)]) {
            Tensor.matmul($0[0], $0[1], transposeRight: true)
        }
    }

    @Test func forwardValues() {
        let left = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let right = Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
        #expect(Tensor.matmul(left, right).scalars == [58, 64, 139, 154])
        #expect(Tensor.matmul(left, left, transposeRight: true).scalars == [14, 32, 32, 77])
        #expect(Tensor.matmul(left, left, transposeLeft: true).shape == [3, 3])
        #expect(Tensor.matmul(left, Tensor(shape: [3, 1], scalars: [1, 1, 1])).scalars == [6, 15])
    }
}

@Suite struct LinearTests {
    @Test func gradient() {
        checkGradients([uniform([4, 3]), uniform([5, 3], seed: 2), uniform([5], seed: 3)]) {
            Tensor.linear($0[0], weight: $0[1], bias: $0[2])
        }
    }

    @Test func matchesTheComposite() {
        let input = uniform([7, 3])
        let weight = uniform([2, 3], seed: 2)
        let bias = uniform([2], seed: 3)
        expectClose(Tensor.linear(input, weight: weight, bias: bias).scalars, (Tensor.matmul(input, weight, transposeRight: true) + bias).scalars)
    }

    @Test func rectifiedGradient() {
        // Inputs that keep every pre-activation away from the kink at zero.
        let input = Tensor(shape: [4, 2], scalars: [1, 2, -1, 0.5, 2, -2, 0.3, 1])
        let weight = Tensor(shape: [3, 2], scalars: [1, -1, 0.5, 2, -2, 0.25])
        checkGradients([input, weight, Tensor([0.3, -0.2, 0.1])]) {
            Tensor.linear([$0[0]], weight: $0[1], bias: $0[2], rectified: true)
        }
    }

    @Test func rectifiedIsTheLinearThenReLU() {
        let (input, weight, bias) = (uniform([9, 5]), uniform([4, 5], seed: 2), uniform([4], seed: 3))
        #expect(
            Tensor.linear([input], weight: weight, bias: bias, rectified: true).scalars
                == Tensor.linear(input, weight: weight, bias: bias).relu().scalars)
    }

    /// The fused bias + ReLU and bias + GELU give the bits of the linear map followed by the
    /// activation, forward and backward (GELU's bias gradient within 1e-6), for three ways the output's gradient arrives: as a seed
    /// someone else holds (the rule copies), as a fresh product (the rule writes into it) and as
    /// a sum of two uses — the derivative's mask or factor, and the bias gradient's column sums
    /// in row order.
    @Test(arguments: [(37, 300), (5, 1), (0, 20)], [false, true])
    func fusedActivationEqualsTheComposite(size: (rows: Int, outputs: Int), gelu: Bool) {
        let (rows, outputs) = size
        let input = Tensor(shape: [rows, 7], scalars: uniform([rows, 7]).scalars, requiresGradient: true)
        let weight = Tensor(shape: [outputs, 7], scalars: uniform([outputs, 7], seed: 2).scalars, requiresGradient: true)
        let bias = Tensor(shape: [outputs], scalars: uniform([outputs], seed: 3).scalars, requiresGradient: true)
        let (first, second) = (uniform([rows, outputs], seed: 4), uniform([rows, outputs], seed: 5))
        let parameters = [input, weight, bias]
        func output(fused: Bool) -> Tensor {
            switch (gelu, fused) {
            case (false, true): return Tensor.linear([input], weight: weight, bias: bias, rectified: true)
            case (false, false): return Tensor.linear(input, weight: weight, bias: bias).relu()
            case (true, true): return Tensor.linearGELU(input, weight: weight, bias: bias)
            case (true, false): return Tensor.linear(input, weight: weight, bias: bias).gelu()
            }
        }
        #expect(output(fused: true).scalars == output(fused: false).scalars)
        func gradients(_ loss: (Tensor) -> Void, fused: Bool) -> [[Float]] {
            for tensor in parameters { tensor.zeroGradient() }
            loss(output(fused: fused))
            return parameters.map { $0.gradient!.scalars }
        }
        let uses: [(Tensor) -> Void] = [
            { $0.backward(seed: first) },
            { ($0 * first).sum().backward() },
            { (($0 * first).sum() + ($0 * second).sum()).backward() },
        ]
        for use in uses {
            let (fused, composite) = (gradients(use, fused: true), gradients(use, fused: false))
            if gelu {
                // A single column's bias gradient is summed by another reduction path in the
                // composite (its last bit may differ).
                #expect(zip(fused.joined(), composite.joined()).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
            } else {
                #expect(fused == composite)
            }
        }
        // The seed is read, never written.
        #expect(first.scalars == uniform([rows, outputs], seed: 4).scalars)
    }

    @Test func linearGELUGradient() {
        checkGradients([uniform([4, 3]), uniform([5, 3], seed: 2), uniform([5], seed: 3)]) {
            Tensor.linearGELU($0[0], weight: $0[1], bias: $0[2])
        }
    }

    /// The residual added by the GEMM's epilogue gives the bits of adding it afterwards, on the
    /// blocked kernel's tiles (one depth block and three) and on the small-product path.
    @Test(arguments: [(37, 300, 7), (40, 70, 520), (3, 4, 5)])
    func residualEqualsTheSum(size: (rows: Int, outputs: Int, inputs: Int)) {
        let (rows, outputs, inputs) = size
        let input = uniform([rows, inputs])
        let weight = uniform([outputs, inputs], seed: 2)
        let bias = uniform([outputs], seed: 3)
        let residual = uniform([rows, outputs], seed: 4)
        #expect(
            Tensor.linear(input, weight: weight, bias: bias, adding: residual).scalars
                == (residual + Tensor.linear(input, weight: weight, bias: bias)).scalars)
    }

    @Test func residualGradient() {
        checkGradients([uniform([4, 3]), uniform([5, 3], seed: 2), uniform([5], seed: 3), uniform([4, 5], seed: 4)]) {
            Tensor.linear($0[0], weight: $0[1], bias: $0[2], adding: $0[3])
        }
    }

    @Test func partsGradient() {
        checkGradients([uniform([4, 3]), uniform([4, 2], seed: 4), uniform([5, 5], seed: 2), uniform([5], seed: 3)]) {
            Tensor.linear([$0[0], $0[1]], weight: $0[2], bias: $0[3])
        }
    }

    @Test func partsMatchTheConcatenation() {
        // Widths past the GEMM's depth block (256) and a part without a gradient (dense features).
        let embedded = Tensor(shape: [9, 300], scalars: uniform([9, 300]).scalars, requiresGradient: true)
        let dense = uniform([9, 7], seed: 5)
        let weight = Tensor(shape: [6, 307], scalars: uniform([6, 307], seed: 2).scalars, requiresGradient: true)
        let bias = Tensor(shape: [6], scalars: uniform([6], seed: 3).scalars, requiresGradient: true)
        let projection = uniform([9, 6], seed: 6)
        (Tensor.linear([embedded, dense], weight: weight, bias: bias) * projection).sum().backward()
        let gradients = [embedded, weight, bias].map { $0.gradient!.scalars }
        #expect(dense.gradient == nil)
        for tensor in [embedded, weight, bias] { tensor.zeroGradient() }
        let concatenated = Tensor.linear(Tensor.concatenated([embedded, dense], alongAxis: 1), weight: weight, bias: bias)
        (concatenated * projection).sum().backward()
        for (tensor, gradient) in zip([embedded, weight, bias], gradients) {
            expectClose(gradient, tensor.gradient!.scalars, tolerance: 1e-4)
        }
        expectClose(
            Tensor.linear([embedded, dense], weight: weight, bias: bias).scalars, concatenated.scalars, tolerance: 1e-4)
    }
}
