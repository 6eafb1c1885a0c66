import Testing

@testable import FunnelTensor
import FunnelTestSupport

@Suite struct SparseGradientTests {
    @Test func lookupProducesRowSparseGradients() {
        let table = Tensor(shape: [5, 2], scalars: (0..<10).map(Float.init), requiresGradient: true)
        let rows = table.embeddingLookup([3, 1, 3])
        #expect(rows.scalars == [6, 7, 2, 3, 6, 7])
        (rows * Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])).sum().backward()
        #expect(table.gradient == nil, "no dense gradient the size of the table")
        let (ids, values) = table.sparseGradient!.coalesced()
        #expect(ids == [1, 3])
        #expect(values == [3, 4, 6, 8])
        table.zeroGradient()
        #expect(table.sparseGradient == nil)
    }

    @Test func lookupGradientMatchesTheDenseIndexSelect() {
        let values = uniform([6, 3])
        let dense = Tensor(shape: [6, 3], scalars: values.scalars, requiresGradient: true)
        let sparse = Tensor(shape: [6, 3], scalars: values.scalars, requiresGradient: true)
        let weights = uniform([4, 3], seed: 4)
        (dense.indexSelect([5, 0, 5, 2]) * weights).sum().backward()
        (sparse.embeddingLookup([5, 0, 5, 2]) * weights).sum().backward()
        let (ids, rows) = sparse.sparseGradient!.coalesced()
        var expanded = [Float](repeating: 0, count: 18)
        for (position, id) in ids.enumerated() {
            for column in 0..<3 { expanded[Int(id) * 3 + column] = rows[position * 3 + column] }
        }
        expectClose(expanded, dense.gradient!.scalars)
    }
}

@Suite struct LogOneMinusExpTests {
    @Test func gradient() { checkGradients([uniform([6], -4, -0.1)]) { $0[0].log1mexp() } }

    /// entire-space.md §0: for p = σ(20)·σ(20), log(1 − p) = −19.3068528…, where the naive
    /// formula loses about 8 digits.
    @Test func productOfSigmoidsInLogSpace() {
        let logits = Tensor([20])
        let logProduct = logits.logSigmoid() + logits.logSigmoid()
        let value = logProduct.log1mexp().scalar
        #expect(Swift.abs(value + 19.3068528) < 1e-5)
    }

    @Test func bothBranchesAreAccurate() {
        let values = Tensor([-1e-7, -0.5, -0.7, -5, -40]).log1mexp().scalars
        expectClose(values, [-16.118096, -0.9327521, -0.6863410, -0.0067607, -4.2483543e-18], tolerance: 1e-5)
    }
}

/// Step generators: each (seed, epoch, step) its own stream, the same on every call.
@Suite struct StepGeneratorTests {
    @Test func everyStepHasItsOwnReproducibleStream() {
        var first = RandomGenerator(seed: 1, epoch: 0, step: 5)
        var again = RandomGenerator(seed: 1, epoch: 0, step: 5)
        #expect(first.next() == again.next())
        let streams = Set([(1, 0, 5), (1, 0, 6), (1, 1, 5), (2, 0, 5), (1, 5, 0)].map { seed, epoch, step in
            var generator = RandomGenerator(seed: UInt64(seed), epoch: epoch, step: step)
            return generator.next()
        })
        #expect(streams.count == 5)
    }

    @Test func joinedLookupsEqualSeparateLookupsJoined() {
        var generator = RandomGenerator(seed: 21)
        let items = Tensor.randomNormal([6, 3], using: &generator, requiresGradient: true)
        let categories = Tensor.randomNormal([4, 2], using: &generator, requiresGradient: true)
        let (itemIDs, categoryIDs): ([Int32], [Int32]) = ([5, 1, 1, 0], [3, 2, 2, 1])
        let joined = Tensor.embeddingLookups([(items, itemIDs, 5), (categories, categoryIDs, nil)])
        let separate = Tensor.concatenated(
            [items.embeddingLookup(itemIDs, paddingID: 5), categories.embeddingLookup(categoryIDs)], alongAxis: 1)
        #expect(joined.shape == [4, 5] && joined.scalars == separate.scalars)
        #expect(Array(joined.scalars[0..<3]) == [0, 0, 0], "the padding id reads as zeros")
        var weights = RandomGenerator(seed: 22)
        let projection = Tensor.randomNormal([4, 5], using: &weights)
        (joined * projection).sum().backward()
        let (joinedItems, joinedCategories) = (items.sparseGradient!.coalesced(), categories.sparseGradient!.coalesced())
        items.zeroGradient()
        categories.zeroGradient()
        (separate * projection).sum().backward()
        #expect(joinedItems == items.sparseGradient!.coalesced() && joinedItems.rows == [0, 1])
        #expect(joinedCategories == categories.sparseGradient!.coalesced())
    }

    @Test(arguments: [5, 8, 16, 32])
    func gatheredRowsAreTheTablesRowsOrZerosForPadding(width: Int) {
        // Widths 8, 16 and 32 take the vector copies, 5 the general one; 40 ids pass the
        // prefetch distance.
        var generator = RandomGenerator(seed: 23)
        let table = Tensor.randomNormal([50, width], using: &generator)
        let ids: [Int32] = (0..<40).map { Int32(($0 * 17) % 50) }
        let rows = table.embeddingLookup(ids, paddingID: 34)
        for (position, id) in ids.enumerated() {
            let expected = id == 34 ? [Float](repeating: 0, count: width) : Array(table.scalars[Int(id) * width..<Int(id + 1) * width])
            #expect(Array(rows.scalars[position * width..<(position + 1) * width]) == expected)
        }
    }

    /// Touched ids get zero gradient rows (the padding id none), beside the looked-up rows'
    /// gradients: the row set a lookup of them would give, the sums unchanged.
    @Test func touchedRowsGetZeroGradients() {
        var generator = RandomGenerator(seed: 24)
        let table = Tensor.randomNormal([8, 3], using: &generator, requiresGradient: true)
        let looked = Tensor.embeddingLookups([(table, [2, 5, 2], 7)], touching: [[6, 2, 7, 0]])
        (looked * Tensor(shape: [3, 3], scalars: (1...9).map(Float.init))).sum().backward()
        let (rows, values) = table.sparseGradient!.coalesced()
        #expect(rows == [0, 2, 5, 6])
        #expect(values == [0, 0, 0, 8, 10, 12, 4, 5, 6, 0, 0, 0])
    }

    /// The gradient reads the lookup's rows where the backward pass left them; scaling (clipping)
    /// and scaled appends (multi-task sums) make copies and leave those rows as they were.
    @Test func scalingCopiesAndLeavesTheLookedUpRowsAlone() {
        let table = Tensor(shape: [4, 2], scalars: (0..<8).map(Float.init), requiresGradient: true)
        let seed = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let looked = Tensor.embeddingLookups([(table, [2, 3, 2], 3)])
        looked.backward(seed: seed)
        let sparse = table.sparseGradient!
        #expect(sparse.rows == [2, 2] && sparse.values == [1, 2, 5, 6], "the padding id's row left out")
        let other = RowSparseGradient(width: 2)
        other.append(sparse, scaledBy: 10)
        other.append(sparse)
        sparse.scale(by: 2)
        #expect(sparse.values == [2, 4, 10, 12])
        #expect(other.rows == [2, 2, 2, 2] && other.values == [10, 20, 50, 60, 1, 2, 5, 6])
        #expect(seed.scalars == [1, 2, 3, 4, 5, 6])
        #expect(other.coalesced().rows == [2] && other.coalesced().values == [66, 88])
    }

    /// Sums of many repeated rows, split across threads at row boundaries: the same bits on
    /// one and on two threads.
    @Test func coalescedSumsDoNotDependOnTheThreadCount() {
        var generator = RandomGenerator(seed: 25)
        let ids: [Int32] = (0..<4096).map { _ in Int32(generator.next() % 300) }
        func run() -> (rows: [Int32], values: [Float]) {
            var weights = RandomGenerator(seed: 26)
            let table = Tensor.randomNormal([300, 16], using: &weights, requiresGradient: true)
            let seed = Tensor.randomNormal([4096, 16], using: &weights)
            table.embeddingLookup(ids).backward(seed: seed)
            return table.sparseGradient!.coalesced()
        }
        let single = Compute.withThreads(1) { run() }
        #expect(single == Compute.withThreads(2) { run() })
        #expect(single.rows == Array(Set(ids)).sorted())
    }

    /// The optimizer's hashed pieces, run in any order, hold exactly the rows and bits of the
    /// whole coalescing.
    @Test(arguments: [1, 3, 8])
    func piecesHoldTheRowsAndBitsOfTheWhole(parts: Int) {
        var generator = RandomGenerator(seed: 27)
        let ids: [Int32] = (0..<3000).map { _ in Int32(generator.next() % 500) }
        let table = Tensor.randomNormal([500, 8], using: &generator, requiresGradient: true)
        table.embeddingLookup(ids).backward(seed: Tensor.randomNormal([3000, 8], using: &generator))
        let sparse = table.sparseGradient!
        let whole = sparse.coalesced()
        var rows: [Int32: ArraySlice<Float>] = [:]
        for piece in sparse.coalescingPieces(parts).reversed() {
            let (pieceRows, values) = piece()
            #expect(pieceRows == pieceRows.sorted())
            for (index, row) in pieceRows.enumerated() { rows[row] = values[(index * 8)..<((index + 1) * 8)] }
        }
        #expect(rows.keys.sorted() == whole.rows)
        for (index, row) in whole.rows.enumerated() {
            #expect(rows[row].map(Array.init) == Array(whole.values[(index * 8)..<((index + 1) * 8)]))
        }
    }

    /// A gradient delivered as rows and values (a data-parallel exchange) coalesces as one
    /// built by lookups: repeated rows summed in order.
    @Test func gradientFromRowsAndValuesCoalesces() {
        let gradient = RowSparseGradient(width: 2, rows: [4, 1, 4], values: [1, 2, 3, 4, 5, 6])
        gradient.append(RowSparseGradient(width: 2, rows: [1], values: [0.5, 0.5]))
        let (rows, values) = gradient.coalesced()
        #expect(rows == [1, 4] && values == [3.5, 4.5, 6, 8])
        #expect(RowSparseGradient(width: 3, rows: [], values: []).coalesced().rows.isEmpty)
    }
}
