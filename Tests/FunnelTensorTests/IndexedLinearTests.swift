import Testing

@testable import FunnelTensor
import FunnelTestSupport

// The linear map over parts whose repeated rows are stored once: the same values and gradients
// as the map of the materialised parts (to rounding), finite differences, and bits that do not
// depend on the thread count or the CPU path.

@Suite struct IndexedLinearTests {
    /// `rows` output rows over: a dense part `[rows, 5]` (when `dense`), an indexed part of 4
    /// distinct rows and width 3 (rows 2..<6 of a values table), another of 2 distinct rows
    /// (rows 0..<2 of the same table), a `.rows` part `[rows, 2]` between them.
    private struct Case {
        let rows: Int
        let dense: Bool
        let values: Tensor
        let rowsPart: Tensor
        let densePart: Tensor
        let first: [Int32]
        let second: [Int32]

        /// `firstSeen`: each indexed part meets its rows first in increasing order (what
        /// `distinct` gives, and the backward pass then writes its sums without zeroing them).
        init(rows: Int, dense: Bool, firstSeen: Bool = false) {
            self.rows = rows
            self.dense = dense
            values = Tensor(shape: [6, 3], scalars: uniform([6, 3], seed: 11).scalars, requiresGradient: true)
            rowsPart = Tensor(shape: [rows, 2], scalars: uniform([rows, 2], seed: 12).scalars, requiresGradient: true)
            densePart = uniform([rows, 5], seed: 13)
            // First seen: 0, 1, 2, 3, 1, 0, 1, 2, 3, 1, … (3 rows or fewer leave a slot unmet).
            let firstSeenIndex = { (row: Int) -> Int in row % 5 == 4 ? 1 : row % 5 }
            let otherIndex = { (row: Int) -> Int in (row * 7 + 1) % 4 }
            first = (0..<rows).map { Int32(firstSeen ? firstSeenIndex($0) : otherIndex($0)) }
            second = (0..<rows).map { Int32($0 % 2) }
        }

        var width: Int { (dense ? 5 : 0) + 3 + 2 + 3 }

        var parts: [Tensor.LinearPart] {
            (dense ? [.rows(densePart)] : []) + [
                .indexed(values: values, range: 2..<6, inverse: first), .rows(rowsPart),
                .indexed(values: values, range: 0..<2, inverse: second),
            ]
        }

        /// The same parts as plain matrices: each indexed part's rows gathered.
        var materialized: [Tensor] {
            (dense ? [densePart] : []) + [
                values.indexSelect(first.map { $0 + 2 }), rowsPart, values.indexSelect(second),
            ]
        }
    }

    @Test(arguments: [
        (9, true, false, false), (9, false, true, false), (40, true, true, false), (1, false, false, false),
        (9, true, true, true), (40, false, false, true), (3, true, false, true),
    ])
    func matchesTheMaterialisedParts(rows: Int, dense: Bool, rectified: Bool, firstSeen: Bool) {
        let example = Case(rows: rows, dense: dense, firstSeen: firstSeen)
        let weight = Tensor(shape: [7, example.width], scalars: uniform([7, example.width], seed: 2).scalars, requiresGradient: true)
        let bias = Tensor(shape: [7], scalars: uniform([7], seed: 3).scalars, requiresGradient: true)
        let projection = uniform([rows, 7], seed: 4)
        let leaves = [example.values, example.rowsPart, weight, bias]
        func run(_ output: () -> Tensor) -> [[Float]] {
            for leaf in leaves { leaf.zeroGradient() }
            let values = output()
            (values * projection).sum().backward()
            return [values.scalars] + leaves.map { $0.gradient!.scalars }
        }
        let indexed = run { Tensor.linear(example.parts, weight: weight, bias: bias, rectified: rectified) }
        let plain = run { Tensor.linear(example.materialized, weight: weight, bias: bias, rectified: rectified) }
        for (actual, expected) in zip(indexed, plain) { expectClose(actual, expected, tolerance: 1e-5) }
        #expect(example.densePart.gradient == nil)
    }

    @Test(arguments: [false, true])
    func gradientsByFiniteDifferences(firstSeen: Bool) {
        let example = Case(rows: 6, dense: true, firstSeen: firstSeen)
        checkGradients(
            [uniform([7, example.width], seed: 2), uniform([7], seed: 3)], parameters: [example.values, example.rowsPart]
        ) { Tensor.linear(example.parts, weight: $0[0], bias: $0[1]) }
    }

    @Test(arguments: [false, true])
    func bitsDoNotDependOnTheThreadCount(firstSeen: Bool) {
        // Enough rows and columns for the row and column splits to cut the work on 2 threads.
        let rows = 700
        let values = Tensor(shape: [50, 16], scalars: uniform([50, 16], seed: 5).scalars, requiresGradient: true)
        let dense = uniform([rows, 40], seed: 6)
        let weight = Tensor(shape: [96, 72], scalars: uniform([96, 72], seed: 7).scalars, requiresGradient: true)
        let bias = Tensor(shape: [96], scalars: uniform([96], seed: 8).scalars, requiresGradient: true)
        let parts: [Tensor.LinearPart] = [
            .indexed(values: values, range: 0..<30, inverse: (0..<rows).map { Int32(firstSeen ? $0 % 30 : $0 * 13 % 30) }),
            .indexed(values: values, range: 30..<50, inverse: (0..<rows).map { Int32(firstSeen ? $0 % 20 : $0 * $0 % 20) }),
            .rows(dense),
        ]
        let projection = uniform([rows, 96], seed: 9)
        func run() -> [[Float]] {
            for leaf in [values, weight, bias] { leaf.zeroGradient() }
            let output = Tensor.linear(parts, weight: weight, bias: bias, rectified: true)
            (output * projection).sum().backward()
            return [output.scalars, values.gradient!.scalars, weight.gradient!.scalars, bias.gradient!.scalars]
        }
        // The GEMM's bits differ between CPU paths (fused multiply-adds or not); on each path the
        // thread count must not matter.
        let detected = Compute.path
        defer { Compute.path = detected }
        for path in Compute.Path.allCases {
            Compute.path = path
            #expect(Compute.withThreads(2) { run() } == Compute.withThreads(1) { run() }, "path \(path)")
        }
    }

    @Test func withoutIndexedPartsItIsThePlainMapBitForBit() {
        let input = uniform([5, 4], seed: 1)
        let weight = uniform([3, 4], seed: 2)
        let bias = uniform([3], seed: 3)
        #expect(
            Tensor.linear([.rows(input)], weight: weight, bias: bias, rectified: true).scalars
                == Tensor.linear([input], weight: weight, bias: bias, rectified: true).scalars)
    }

    @Test func distinctKeepsFirstOccurrenceOrder() {
        // Column 1 of a row-major [6 × 2] matrix: 7, 3, 7, -1, 3, 7.
        let ids: [Int32] = [0, 7, 0, 3, 0, 7, 0, -1, 0, 3, 0, 7]
        let (values, inverse) = Tensor.LinearPart.distinct(ids, start: 1, stride: 2, count: 6)
        #expect(values == [7, 3, -1])
        #expect(inverse == [0, 1, 0, 2, 1, 0])
        #expect(Tensor.LinearPart.distinct([], count: 0).values.isEmpty)
        // Many colliding ids: every one found again.
        let many = (0..<5000).map { Int32(($0 * 4099) % 1021) }
        let (distinctMany, inverseMany) = Tensor.LinearPart.distinct(many, count: many.count)
        #expect(distinctMany.count == 1021)
        #expect(inverseMany.map { distinctMany[Int($0)] } == many)
    }

    @Test func branchesReadTheSameParts() throws {
        // Two towers over the same parts, one per thread: the values' gradient is the sum of both.
        let example = Case(rows: 12, dense: true)
        let weights = (0..<2).map { Tensor(shape: [4, example.width], scalars: uniform([4, example.width], seed: 20 + UInt64($0)).scalars, requiresGradient: true) }
        let biases = (0..<2).map { Tensor(shape: [4], scalars: uniform([4], seed: 30 + UInt64($0)).scalars, requiresGradient: true) }
        let parts = example.parts
        func total(concurrent: Bool) throws -> [Float] {
            example.values.zeroGradient()
            let outputs: [Tensor]
            if concurrent {
                outputs = try Tensor.concurrently(
                    [parts.tensors, parts.tensors],
                    (0..<2).map { tower in { views in
                        [Tensor.linear(parts.replacingTensors(with: views), weight: weights[tower], bias: biases[tower])]
                    } }
                ).map { $0[0] }
            } else {
                outputs = (0..<2).map { Tensor.linear(parts, weight: weights[$0], bias: biases[$0]) }
            }
            (outputs[0].sum() + (outputs[1] * outputs[1]).sum()).backward()
            return example.values.gradient!.scalars
        }
        #expect(try total(concurrent: true) == total(concurrent: false))
    }
}
