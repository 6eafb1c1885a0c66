import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// A batch's field embeddings as linear-layer parts: which fields are stored per distinct id,
/// that the parts stand for exactly the module's output, and that a layer over them learns what
/// a layer over that output learns.
@Suite struct FieldEmbeddingLinearPartsTests {
    /// Fields of 3, 50, 4 and 1,000 ids over 8 rows: fields 0 and 2 repeat their ids, field 1 has
    /// 6 distinct ids of 8, field 3 all 8.
    private let ids: [Int32] = [
        0, 0, 0, 100,
        1, 1, 1, 101,
        2, 2, 0, 102,
        0, 3, 1, 103,
        1, 4, 0, 104,
        2, 5, 1, 105,
        0, 0, 0, 106,
        1, 0, 1, 107,
    ]

    private func embedding() -> FieldEmbedding {
        var generator = RandomGenerator(seed: 3)
        return FieldEmbedding(vocabularySizes: [3, 50, 4, 1000], dimensions: 4, generator: &generator)
    }

    @Test func fieldsAtOrBelowTheShareAreIndexed() {
        let module = embedding()
        let kinds = { (threshold: Double) -> [String] in
            module.linearParts(ids, threshold: threshold).map { part in
                switch part {
                case .rows(let tensor): "rows \(tensor.shape[1])"
                case .indexed(_, let range, _): "indexed \(range.count)"
                case .products(_, _, let width): "products \(width)"
                }
            }
        }
        #expect(kinds(0.5) == ["indexed 3", "rows 4", "indexed 2", "rows 4"])
        #expect(kinds(0.75) == ["indexed 3", "indexed 6", "indexed 2", "rows 4"])
        #expect(kinds(1) == ["indexed 3", "indexed 6", "indexed 2", "indexed 8"])
        #expect(kinds(0) == ["rows 16"])
        #expect(kinds(0.2) == ["rows 16"])
    }

    @Test(arguments: [0.0, 0.5, 0.75, 1.0])
    func partsStandForTheModuleOutput(threshold: Double) {
        let module = embedding()
        let parts = module.linearParts(ids, threshold: threshold)
        #expect(parts.reduce(0) { $0 + $1.width } == 16)
        let joined = Tensor.concatenated(parts.map(\.materialized), alongAxis: 1)
        #expect(joined.scalars == module(ids).reshaped([8, 16]).scalars)
    }

    @Test func aLayerOverThePartsHasTheTablesGradient() {
        let module = embedding()
        var generator = RandomGenerator(seed: 5)
        let layer = Linear(16, 5, generator: &generator)
        let projection = uniform([8, 5], seed: 6)
        let table = module.tables[0].table
        func gradient(threshold: Double) -> (output: [Float], table: [Float]) {
            table.zeroGradient()
            let output = layer(parts: module.linearParts(ids, threshold: threshold), rectified: true)
            (output * projection).sum().backward()
            let (rows, values) = table.sparseGradient!.coalesced()
            var dense = [Float](repeating: 0, count: table.count)
            for (index, row) in rows.enumerated() {
                for column in 0..<4 { dense[Int(row) * 4 + column] += values[index * 4 + column] }
            }
            return (output.scalars, dense)
        }
        let plain = gradient(threshold: 0)
        let indexed = gradient(threshold: 1)
        expectClose(indexed.output, plain.output, tolerance: 1e-5)
        expectClose(indexed.table, plain.table, tolerance: 1e-5)
    }
}
