import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// Incremental decoding through a ``KeyValueCache`` against the full causal forward pass.
@Suite struct KeyValueCacheTests {
    private let batch = 2
    private let length = 5
    private let dimensions = 8

    /// Feeds `input` in blocks of `sizes` positions through `step`, joining the outputs.
    private func decode(
        _ input: Tensor, sizes: [Int], _ step: (Tensor, inout KeyValueCache) -> Tensor
    ) -> Tensor {
        var cache = KeyValueCache()
        var start = 0
        var outputs: [Tensor] = []
        for size in sizes {
            outputs.append(step(input.sliced(alongAxis: 1, start..<(start + size)), &cache))
            start += size
        }
        #expect(cache.length == start)
        return Tensor.concatenated(outputs, alongAxis: 1)
    }

    @Test(arguments: [[1, 1, 1, 1, 1], [2, 3], [5]])
    func focusedAttentionDecodesAsTheCausalForward(sizes: [Int]) {
        var generator = RandomGenerator(seed: 1)
        let layer = FocusedAttention(
            dimensions: dimensions, heads: 2, layerIndex: 1, generator: &generator)
        let input = uniform([batch, length, dimensions], seed: 2)
        let full = layer(input, mask: MultiHeadAttention.causalMask(length: length))
        let stepped = decode(input, sizes: sizes) { layer($0, cache: &$1) }
        #expect(stepped.requiresGradient == false)
        expectClose(stepped.scalars, full.scalars)
    }

    @Test(arguments: [true, false])
    func blocksDecodeAsTheCausalForward(focused: Bool) {
        var generator = RandomGenerator(seed: 3)
        let block = FocusedDecoderBlock(
            dimensions: dimensions, heads: 2, feedForwardDimensions: 12, focused: focused,
            weightDropout: 0.3,
            residualDropout: 0.2, generator: &generator)
        block.train(false)
        let input = uniform([batch, length, dimensions], seed: 4)
        let stepped = decode(input, sizes: [1, 1, 1, 1, 1]) { block($0, cache: &$1) }
        expectClose(stepped.scalars, block(input).scalars)
    }

    /// Beam search: the cache of a prefix, with rows repeated and reordered, continues as the
    /// full forward pass over the rearranged batch.
    @Test func selectedRowsContinueAsTheRearrangedBatch() {
        var generator = RandomGenerator(seed: 5)
        let layer = FocusedAttention(dimensions: dimensions, heads: 2, generator: &generator)
        let input = uniform([batch, length, dimensions], seed: 6)
        let rows: [Int32] = [1, 0, 1]
        var cache = KeyValueCache()
        _ = layer(input.sliced(alongAxis: 1, 0..<3), cache: &cache)
        cache.selectRows(rows)
        #expect(cache.batch == 3 && cache.length == 3)
        let rearranged = input.indexSelect(rows, alongAxis: 0)
        let continued = layer(rearranged.sliced(alongAxis: 1, 3..<5), cache: &cache)
        let full = layer(rearranged, mask: MultiHeadAttention.causalMask(length: length)).sliced(
            alongAxis: 1, 3..<5)
        expectClose(continued.scalars, full.scalars)
    }

    @Test func causalMaskOfNewPositions() {
        let blocked = MultiHeadAttention.blocked
        #expect(KeyValueCache.causalMask(new: 2, cached: 1).scalars == [0, 0, blocked, 0, 0, 0])
        #expect(
            KeyValueCache.causalMask(new: 3, cached: 0).scalars
                == MultiHeadAttention.causalMask(length: 3).scalars)
    }
}
