import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

// A query the mask leaves no key attends to nothing: exactly 0 out, no gradient to the keys.

@Suite struct MultiHeadAttentionTests {
    /// Batch 0 has valid keys; batch 1 none.
    private let valid = Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 0])

    @Test func fullyBlockedQueriesGiveZeros() {
        var generator = RandomGenerator(seed: 1)
        let layer = MultiHeadAttention(dimensions: 4, numHeads: 2, keyInputDimensions: 3, valueInputDimensions: 3, generator: &generator)
        let output = layer(
            queries: uniform([2, 2, 4]), keys: uniform([2, 3, 3], seed: 2), values: uniform([2, 3, 3], seed: 3),
            mask: MultiHeadAttention.keyPaddingMask(valid)).scalars
        // The output projection's bias included.
        #expect(output[8..<16].allSatisfy { $0 == 0 } && output[0..<8].contains { $0 != 0 })
    }

    @Test func fullyBlockedQueriesPassNoGradient() {
        var generator = RandomGenerator(seed: 2)
        let layer = MultiHeadAttention(dimensions: 4, numHeads: 2, keyInputDimensions: 3, valueInputDimensions: 3, generator: &generator)
        let mask = MultiHeadAttention.keyPaddingMask(valid)
        checkGradients([uniform([2, 2, 4]), uniform([2, 3, 3], seed: 4)], parameters: layer.parameters()) {
            layer(queries: $0[0], keys: $0[1], values: $0[1], mask: mask)
        }
        let queries = Tensor(shape: [2, 2, 4], scalars: uniform([2, 2, 4]).scalars, requiresGradient: true)
        let keys = Tensor(shape: [2, 3, 3], scalars: uniform([2, 3, 3], seed: 4).scalars, requiresGradient: true)
        layer(queries: queries, keys: keys, values: keys, mask: mask).sum().backward()
        #expect(queries.gradient!.scalars[8..<16].allSatisfy { $0 == 0 })
        #expect(keys.gradient!.scalars[9..<18].allSatisfy { $0 == 0 })
    }

    @Test func causalAndPaddingMasksCombine() {
        var generator = RandomGenerator(seed: 3)
        let layer = MultiHeadAttention(dimensions: 4, numHeads: 2, generator: &generator)
        // Position 0's only key is padding; positions 1 and 2 see key 1.
        let mask = MultiHeadAttention.causalMask(length: 3)
            + MultiHeadAttention.keyPaddingMask(Tensor(shape: [1, 3], scalars: [0, 1, 1]))
        let input = uniform([1, 3, 4], seed: 5)
        let output = layer(queries: input, keys: input, values: input, mask: mask).scalars
        #expect(output[0..<4].allSatisfy { $0 == 0 } && output[4..<12].contains { $0 != 0 })
        checkGradients([input]) { layer(queries: $0[0], keys: $0[0], values: $0[0], mask: mask) }
    }
}
