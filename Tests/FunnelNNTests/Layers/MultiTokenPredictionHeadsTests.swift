import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// RPG's multi-token heads with tied cosine logits (sequential.md §4.2).
@Suite struct MultiTokenPredictionHeadsTests {
    @Test func startAsTheIdentityWithCosineLogits() {
        var generator = RandomGenerator(seed: 1)
        let heads = MultiTokenPredictionHeads(dimensions: 4, digits: 2, temperature: 0.5, generator: &generator)
        let states = uniform([3, 4], seed: 2)
        let table = uniform([7, 4], seed: 3)
        let logits = heads.logits(states, tokenTable: table, ranges: [1..<4, 4..<7])
        let (h, t) = (states.scalars, table.scalars)
        for (digit, range) in [1..<4, 4..<7].enumerated() {
            #expect(logits[digit].shape == [3, 3])
            for row in 0..<3 {
                for (column, token) in range.enumerated() {
                    let a = Array(h[(row * 4)..<(row * 4 + 4)])
                    let b = Array(t[(token * 4)..<(token * 4 + 4)])
                    let dot = zip(a, b).map { $0 * $1 }.reduce(0, +)
                    let norms = a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot()
                    #expect(Swift.abs(logits[digit].scalars[row * 3 + column] - dot / norms / 0.5) < 1e-4)
                }
            }
        }
    }

    @Test func separateDigitsGiveWhatTheBatchedProductGives() {
        var generator = RandomGenerator(seed: 4)
        let heads = MultiTokenPredictionHeads(dimensions: 4, digits: 2, temperature: 0.07, generator: &generator)
        heads.projection.weight.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: uniform([8, 4], seed: 5).scalars) }
        let states = uniform([3, 4], seed: 6)
        let adjacent = uniform([7, 4], seed: 7)
        // Same rows with a gap between the digits: the per-digit path.
        let rows = adjacent.scalars
        let gapped = Tensor(shape: [8, 4], scalars: Array(rows[0..<16]) + [9, 9, 9, 9] + Array(rows[16..<28]))
        let batched = heads.logits(states, tokenTable: adjacent, ranges: [1..<4, 4..<7])
        let separate = heads.logits(states, tokenTable: gapped, ranges: [1..<4, 5..<8])
        for digit in 0..<2 {
            for (a, b) in zip(batched[digit].scalars, separate[digit].scalars) { #expect(Swift.abs(a - b) < 1e-4) }
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 8)
        let heads = MultiTokenPredictionHeads(dimensions: 3, digits: 2, temperature: 1, generator: &generator)
        heads.projection.weight.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: uniform([6, 3], -0.5, 0.5, seed: 9).scalars) }
        let table = Tensor(shape: [5, 3], scalars: uniform([5, 3], seed: 10).scalars, requiresGradient: true)
        checkGradients([uniform([2, 3], seed: 11)], parameters: heads.parameters() + [table]) { inputs in
            let logits = heads.logits(inputs[0], tokenTable: table, ranges: [1..<3, 3..<5])
            return Tensor.concatenated(logits, alongAxis: 1)
        }
    }
}
