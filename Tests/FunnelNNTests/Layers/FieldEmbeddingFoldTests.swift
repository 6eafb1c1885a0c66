import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// Fields folded into linear layers for inference: which fields a budget takes, and that each
/// layer over its folded parts computes what it computes over the unfolded ones (to rounding).
@Suite struct FieldEmbeddingFoldTests {
    /// Fields of 3, 50, 4 and 1,000 ids over 8 rows (as in the linear-parts tests).
    private let ids: [Int32] = [
        0, 0, 0, 100,  1, 1, 1, 101,  2, 2, 0, 102,  0, 3, 1, 103,
        1, 4, 0, 104,  2, 5, 1, 105,  0, 0, 0, 106,  1, 0, 1, 107,
    ]

    private func embedding(shared: Bool = true) -> FieldEmbedding {
        var generator = RandomGenerator(seed: 3)
        return FieldEmbedding(vocabularySizes: [3, 50, 4, 1000], dimensions: 4, shared: shared, generator: &generator)
    }

    private func layers(_ count: Int) -> [Linear] {
        var generator = RandomGenerator(seed: 5)
        return (0..<count).map { _ in Linear(4 * 4 + 2, 6, generator: &generator) }
    }

    @Test func theBudgetTakesTheFieldsOfFewestRowsFirst() {
        let module = embedding()
        // 6-wide products: 72, 1,200, 96 and 24,000 bytes.
        #expect(module.foldedFields(outputs: 6, budget: 168) == [0, 2])
        #expect(module.foldedFields(outputs: 6, budget: 1_368) == [0, 1, 2])
        #expect(module.foldedFields(outputs: 6, budget: 1_367) == [0, 2])
        #expect(module.foldedFields(outputs: 6, budget: 71) == [])
        #expect(embedding(shared: false).foldedFields(outputs: 6, budget: 1 << 30) == [])
        #expect(embedding(shared: false).fold(into: layers(1)[0], budget: 1 << 30) == nil)
        var generator = RandomGenerator(seed: 5)
        #expect(module.fold(into: Linear(18, 6, bias: false, generator: &generator), budget: 1 << 30) == nil, "read concatenated")
    }

    @Test(arguments: [0.0, 0.5, 1.0])
    func eachLayerOverItsFoldedPartsComputesWhatItComputesUnfolded(threshold: Double) throws {
        let module = embedding()
        let linears = layers(2)
        let dense = uniform([8, 2], seed: 7)
        let folds = try linears.map { try #require(module.fold(into: $0, budget: 1_368)) }
        #expect(folds[0].starts == [0, 3, 53, nil])
        #expect(folds[0].products.shape == [57, 6] && folds[0].bytes == 57 * 6 * 4)
        let partLists = withoutGradients { module.linearParts(ids, threshold: threshold, folds: folds) }
        #expect(partLists.count == 2)
        for (linear, parts) in zip(linears, partLists) {
            #expect(parts.filter { if case .products = $0 { true } else { false } }.count == 3)
            let folded = withoutGradients { linear(parts: parts + [.rows(dense)], rectified: true) }
            let plain = linear(parts: [.rows(module(ids).reshaped([8, 16])), .rows(dense)], rectified: true)
            expectClose(folded.scalars, plain.scalars)
        }
    }

    @Test func withoutFoldsThePartsAreTheUnfoldedOnes() {
        let module = embedding()
        let lists = module.linearParts(ids, threshold: 0.5, folds: [])
        #expect(lists.count == 1 && lists[0].map(\.width) == module.linearParts(ids, threshold: 0.5).map(\.width))
    }
}
