import Testing

@testable import FunnelTensor
import FunnelTestSupport

// A table's rows folded into a linear layer's columns: the blocks are the products they stand
// for, and a linear map over `.products` parts equals the map over the rows they fold (to
// rounding), with bits that do not depend on the thread count.

@Suite struct FoldedProductsTests {
    private let table = uniform([7, 3], seed: 21)
    private let weight = uniform([4, 8], seed: 22)
    private let bias = uniform([4], seed: 23)

    /// `weight[:, columns]`, `[4, columns.count]`.
    private func columns(_ columns: Range<Int>) -> Tensor {
        Tensor(shape: [4, columns.count], scalars: (0..<4).flatMap { row in columns.map { weight.scalars[row * 8 + $0] } })
    }

    @Test func blocksAreTheRowsTimesTheColumns() {
        let products = Tensor.foldedProducts(table: table, rows: [1..<4, 5..<7], weight: weight, columns: [0, 5])
        #expect(products.shape == [5, 4])
        let first = Tensor.matmul(table.indexSelect([1, 2, 3]), columns(0..<3), transposeRight: true)
        let second = Tensor.matmul(table.indexSelect([5, 6]), columns(5..<8), transposeRight: true)
        expectClose(products.scalars, first.scalars + second.scalars)
    }

    /// Parts: `[rows, 2]`, a folded block of width 3 (rows of `table`), `[rows, 3]`.
    @Test(arguments: [(9, false), (9, true), (1, true), (40, false)])
    func productsPartsMatchTheRowsTheyFold(rows: Int, rectified: Bool) {
        let left = uniform([rows, 2], seed: 24)
        let right = uniform([rows, 3], seed: 25)
        let indices = (0..<rows).map { Int32(($0 * 5 + 2) % 7) }
        let products = Tensor.foldedProducts(table: table, rows: [0..<7], weight: weight, columns: [2])
        let folded = withoutGradients {
            Tensor.linear(
                [.rows(left), .products(table: products, indices: indices, width: 3), .rows(right)], weight: weight,
                bias: bias, rectified: rectified)
        }
        let plain = Tensor.linear([left, table.indexSelect(indices), right], weight: weight, bias: bias, rectified: rectified)
        #expect(folded.shape == [rows, 4])
        expectClose(folded.scalars, plain.scalars)
    }

    @Test func onlyProductsPartsSumTheirRowsAndTheBias() {
        // Two folded blocks and nothing multiplied: row r is P₁[i] + P₂[j] + b, then ReLU.
        let products = Tensor.foldedProducts(table: table, rows: [0..<7, 0..<7], weight: weight, columns: [0, 3])
        let (first, second): ([Int32], [Int32]) = ([6, 0, 3], [7, 13, 9])
        let folded = withoutGradients {
            Tensor.linear(
                [.products(table: products, indices: first, width: 3), .products(table: products, indices: second, width: 3),
                 .rows(Tensor.zeros([3, 2]))],
                weight: weight, bias: bias, rectified: true)
        }
        let scalars = products.scalars
        var expected: [Float] = []
        for row in 0..<3 {
            for column in 0..<4 {
                let sum: Float = scalars[Int(first[row]) * 4 + column] + scalars[Int(second[row]) * 4 + column]
                expected.append(max(0, sum + bias.scalars[column]))
            }
        }
        expectClose(folded.scalars, expected)
    }

    @Test func bitsDoNotDependOnTheThreadCount() {
        let rows = 3_000
        let left = uniform([rows, 2], seed: 26)
        let wide = uniform([64, 8], seed: 27)
        let products = Tensor.foldedProducts(table: table, rows: [0..<7, 2..<5], weight: wide, columns: [2, 5])
        let parts: [Tensor.LinearPart] = [
            .rows(left), .products(table: products, indices: (0..<rows).map { Int32($0 % 7) }, width: 3),
            .products(table: products, indices: (0..<rows).map { Int32(7 + $0 % 3) }, width: 3),
        ]
        let run = { (threads: Int) -> [Float] in
            let saved = Compute.threadCount
            defer { Compute.threadCount = saved }
            Compute.threadCount = threads
            return withoutGradients { Tensor.linear(parts, weight: wide, bias: Tensor.zeros([64]), rectified: true).scalars }
        }
        #expect(run(1) == run(2))
    }
}
