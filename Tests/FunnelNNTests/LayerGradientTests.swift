import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

// Every layer's gradients, with respect to its input and to every parameter, against finite
// differences.

@Suite struct LayerGradientTests {
    @Test func linear() {
        var generator = RandomGenerator(seed: 1)
        let layer = Linear(3, 2, generator: &generator)
        checkGradients([uniform([4, 3])], parameters: layer.parameters()) { layer($0[0]) }
        checkGradients([uniform([2, 3, 3])], parameters: layer.parameters()) { layer($0[0]) }
        #expect(layer(uniform([4, 3])).shape == [4, 2])
        #expect(layer.namedParameters().map(\.name) == ["weight", "bias"])
    }

    @Test func layerNorm() {
        let layer = LayerNorm(dimensions: 5)
        layer.gain.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: uniform([5], 0.5, 1.5, seed: 3).scalars) }
        checkGradients([uniform([3, 5])], parameters: layer.parameters()) { layer($0[0]) }
        // The layer computes the same as the checked composite.
        let rows = LayerNorm(dimensions: 5)(uniform([3, 5])).scalars
        for row in 0..<3 {
            let slice = rows[row * 5..<(row + 1) * 5]
            #expect(Swift.abs(slice.reduce(0, +) / 5) < 1e-5)
            #expect(Swift.abs(slice.map { $0 * $0 }.reduce(0, +) / 5 - 1) < 1e-3)
        }
    }

    @Test(arguments: Activation.allCases)
    func activation(_ activation: Activation) {
        checkGradients([awayFromZero([6])]) { activation($0[0]) }
    }

    @Test func sequencePooling() {
        let mask = Tensor(shape: [2, 3], scalars: [1, 1, 0, 0, 0, 0])
        checkGradients([uniform([2, 3, 4])]) { SequencePooling.mean($0[0], mask: mask) }
        checkGradients([uniform([2, 3, 4])]) { SequencePooling.sum($0[0], mask: mask) }
        let pooled = SequencePooling.mean(Tensor.ones([2, 3, 4]), mask: mask)
        #expect(pooled.scalars == [1, 1, 1, 1, 0, 0, 0, 0])
    }
}

@Suite struct EmbeddingAndAttentionGradientTests {
    @Test func embeddingWithPadding() {
        var generator = RandomGenerator(seed: 2)
        let layer = Embedding(count: 5, dimensions: 3, paddingID: 0, generator: &generator)
        checkGradients([], parameters: layer.parameters()) { _ in layer([4, 0, 2, 4]) * 1.5 }
        #expect(layer([0]).scalars == [0, 0, 0])
        layer.zeroGradients()
        layer([0, 3]).sum().backward()
        let (rows, values) = layer.table.sparseGradient!.coalesced()
        // The padding row is not even touched: lazy optimizers leave its state alone.
        #expect(rows == [3] && values.count == 3, "padding gets no gradient")
    }

    @Test(arguments: [true, false])
    func fieldEmbedding(shared: Bool) {
        var generator = RandomGenerator(seed: 3)
        let layer = FieldEmbedding(vocabularySizes: [3, 5, 2], dimensions: 2, shared: shared, generator: &generator)
        let ids: [Int32] = [0, 4, 1, 2, 0, 1]
        checkGradients([], parameters: layer.parameters()) { _ in layer(ids) }
        #expect(layer(ids).shape == [2, 3, 2])
        #expect(layer.parameters().count == (shared ? 1 : 3))
    }

    @Test func fieldEmbeddingHashesLargeVocabularies() {
        var generator = RandomGenerator(seed: 3)
        let layer = FieldEmbedding(vocabularySizes: [3, 1000], dimensions: 2, hashBuckets: 10, generator: &generator)
        #expect(layer.tables[0].count == 13)
        #expect(layer([1, 999]).shape == [1, 2, 2])
    }

    @Test func multiHeadAttentionWithMasks() {
        var generator = RandomGenerator(seed: 4)
        let layer = MultiHeadAttention(dimensions: 4, numHeads: 2, keyInputDimensions: 3, valueInputDimensions: 3, generator: &generator)
        let mask = MultiHeadAttention.keyPaddingMask(Tensor(shape: [2, 3], scalars: [1, 1, 0, 1, 1, 1]))
        checkGradients([uniform([2, 2, 4]), uniform([2, 3, 3], seed: 5)], parameters: layer.parameters()) {
            layer(queries: $0[0], keys: $0[1], values: $0[1], mask: mask)
        }
    }

    @Test func maskedKeysAreIgnored() {
        var generator = RandomGenerator(seed: 4)
        let layer = MultiHeadAttention(dimensions: 4, numHeads: 2, generator: &generator)
        let queries = uniform([1, 2, 4])
        let keys = uniform([1, 3, 4], seed: 6)
        var changed = keys.scalars
        for index in 8..<12 { changed[index] += 5 }
        let mask = MultiHeadAttention.keyPaddingMask(Tensor(shape: [1, 3], scalars: [1, 1, 0]))
        let first = layer(queries: queries, keys: keys, values: keys, mask: mask).scalars
        let second = layer(queries: queries, keys: Tensor(shape: [1, 3, 4], scalars: changed), values: Tensor(shape: [1, 3, 4], scalars: changed), mask: mask).scalars
        expectClose(first, second)
    }

    @Test(arguments: [true, false])
    func decoderBlock(normFirst: Bool) {
        var generator = RandomGenerator(seed: 5)
        // GELU: finite differences across a ReLU kink would be meaningless.
        let block = TransformerDecoderBlock(
            dimensions: 4, numHeads: 2, feedForwardDimensions: 6, normFirst: normFirst, activation: .gelu, generator: &generator)
        checkGradients([uniform([2, 3, 4])], parameters: block.parameters()) { block($0[0]) }
    }

    @Test func decoderIsCausal() {
        var generator = RandomGenerator(seed: 5)
        let block = TransformerDecoderBlock(dimensions: 4, numHeads: 2, generator: &generator)
        let input = uniform([1, 3, 4])
        var changed = input.scalars
        changed[11] += 3  // the last position only
        let first = block(input).scalars
        let second = block(Tensor(shape: [1, 3, 4], scalars: changed)).scalars
        expectClose(Array(first.prefix(8)), Array(second.prefix(8)))
        #expect(first[8..<12] != second[8..<12])
    }

    @Test func positionEncodings() {
        var generator = RandomGenerator(seed: 6)
        let learned = LearnedPositionEncoding(maximumLength: 5, dimensions: 4, generator: &generator)
        checkGradients([uniform([2, 3, 4])], parameters: learned.parameters()) { learned($0[0]) }
        let sinusoidal = SinusoidalPositionEncoding(maximumLength: 5, dimensions: 4)
        #expect(sinusoidal.parameters().isEmpty)
        let encoded = sinusoidal(Tensor.zeros([1, 2, 4])).scalars
        expectClose(encoded, [0, 1, 0, 1, 0.84147098, 0.54030231, 0.0099998333, 0.99995])
    }
}
