import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// The pre-norm decoder block with focused or standard attention (sequential.md §4.2).
@Suite struct FocusedDecoderBlockTests {
    private func block(focused: Bool, seed: UInt64 = 1) -> FocusedDecoderBlock {
        var generator = RandomGenerator(seed: seed)
        return FocusedDecoderBlock(
            dimensions: 8, heads: 2, feedForwardDimensions: 12, layerIndex: 1, focused: focused,
            generator: &generator)
    }

    /// The baseline has 2H heads of width d over the same projections: the blocks differ only by
    /// the four λ vectors and the head norm's scale, 6d values.
    @Test func theBaselineHasTheSameProjections() {
        let (focused, standard) = (block(focused: true), block(focused: false))
        func count(_ block: FocusedDecoderBlock) -> Int {
            block.parameters().reduce(0) { $0 + $1.count }
        }
        #expect(count(focused) - count(standard) == 6 * 2)
        #expect(standard.standardAttention?.heads == 4 && focused.focusedAttention?.heads == 2)
        #expect(focused.attentionNorm.epsilon == 1e-12)
    }

    @Test(arguments: [true, false])
    func gradientsMatchFiniteDifferences(focused: Bool) {
        let block = block(focused: focused)
        let valid = Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 1, 0])
        checkGradients([uniform([2, 3, 8], seed: 2)], parameters: block.parameters()) {
            block($0[0], valid: valid)
        }
    }

    /// A padded position (left padding) changes no real position's output.
    @Test func paddedKeysAreIgnored() {
        let block = block(focused: true)
        let valid = Tensor(shape: [1, 3], scalars: [0, 1, 1])
        let input = uniform([1, 3, 8], seed: 3)
        let changed = Tensor.concatenated(
            [uniform([1, 1, 8], seed: 4), input.sliced(alongAxis: 1, 1..<3)], alongAxis: 1)
        let (first, second) = (
            block(input, valid: valid).scalars, block(changed, valid: valid).scalars
        )
        #expect(first[8..<24] == second[8..<24])
        // Without the padding mask, the changed position reaches the later ones.
        #expect(block(input).scalars[8..<24] != block(changed).scalars[8..<24])
    }
}
