import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

// FuxiCTR's multi-head target attention and ETA's retrieval + attention (entire-space.md §9.1).

@Suite struct TargetAttentionTests {
    @Test func projectionsHaveNoBiases() {
        var generator = RandomGenerator(seed: 1)
        let layer = TargetAttention(dimensions: 3, attentionDimensions: 4, numHeads: 2, generator: &generator)
        #expect(layer.namedParameters().map(\.name) == [
            "attention.queryProjection.weight", "attention.keyProjection.weight",
            "attention.valueProjection.weight", "attention.outputProjection.weight",
        ])
        #expect(layer.parameters().map(\.shape) == [[4, 3], [4, 3], [4, 3], [3, 4]])
        #expect(layer(target: uniform([2, 3]), keys: uniform([2, 5, 3], seed: 2)).shape == [2, 3])
        let defaults = TargetAttention(dimensions: 16, generator: &generator)
        #expect(defaults.attentionDimensions == 64 && defaults.numHeads == 2)
    }

    @Test func gradients() {
        var generator = RandomGenerator(seed: 2)
        let layer = TargetAttention(dimensions: 3, attentionDimensions: 4, numHeads: 2, generator: &generator)
        let valid = Tensor(shape: [2, 4], scalars: [1, 1, 0, 1, 1, 0, 0, 0])
        checkGradients([uniform([2, 3]), uniform([2, 4, 3], seed: 3)], parameters: layer.parameters()) {
            layer(target: $0[0], keys: $0[1], valid: valid)
        }
    }

    @Test func zeroQueryAttendsUniformly() {
        var generator = RandomGenerator(seed: 3)
        let layer = TargetAttention(dimensions: 3, attentionDimensions: 6, numHeads: 3, generator: &generator)
        layer.attention.queryProjection.weight.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        let keys = uniform([2, 4, 3], seed: 4)
        let valid = Tensor(shape: [2, 4], scalars: [1, 0, 1, 1, 0, 1, 0, 0])
        // Uniform weights over the valid keys: W_o of the mean of W_v e_j (W_v is linear).
        let mean = SequencePooling.mean(keys, mask: valid)
        let expected = layer.attention.outputProjection(layer.attention.valueProjection(mean))
        let output = layer(target: uniform([2, 3], seed: 5), keys: keys, valid: valid)
        expectClose(output.scalars, expected.scalars)
    }

    @Test func rowWithoutValidKeysIsZero() {
        var generator = RandomGenerator(seed: 7)
        let layer = TargetAttention(dimensions: 3, attentionDimensions: 4, numHeads: 2, generator: &generator)
        let valid = Tensor(shape: [2, 4], scalars: [1, 0, 1, 1, 0, 0, 0, 0])
        let output = layer(target: uniform([2, 3], seed: 8), keys: uniform([2, 4, 3], seed: 9), valid: valid).scalars
        #expect(output[3..<6].allSatisfy { $0 == 0 } && output[0..<3].contains { $0 != 0 })
        checkGradients([uniform([2, 3], seed: 8), uniform([2, 4, 3], seed: 9)], parameters: layer.parameters()) {
            layer(target: $0[0], keys: $0[1], valid: valid)
        }
        let keys = Tensor(shape: [2, 4, 3], scalars: uniform([2, 4, 3], seed: 9).scalars, requiresGradient: true)
        layer(target: uniform([2, 3], seed: 8), keys: keys, valid: valid).sum().backward()
        #expect(keys.gradient!.scalars[12..<24].allSatisfy { $0 == 0 })
        // Through the retrieval: nothing valid to retrieve gives 0 too.
        let retrieval = SimHashRetrieval(dimensions: 3, retrievedCount: 2, generator: &generator)
        let retrieved = layer(
            target: uniform([2, 3], seed: 8), behaviours: uniform([2, 4, 3], seed: 9), valid: valid, retrieval: retrieval)
        #expect(retrieved.scalars[3..<6].allSatisfy { $0 == 0 })
    }

    @Test(arguments: [5, 6, 7, 50])
    func retrievalOfEveryValidBehaviourEqualsFullAttention(retrievedCount: Int) {
        var generator = RandomGenerator(seed: 4)
        let layer = TargetAttention(dimensions: 4, attentionDimensions: 8, numHeads: 2, generator: &generator)
        let retrieval = SimHashRetrieval(dimensions: 4, retrievedCount: retrievedCount, generator: &generator)
        let target = uniform([3, 4], seed: 6)
        let behaviours = uniform([3, 7, 4], seed: 7)
        // 5, 3 and 1 valid behaviours, padding scattered: k is at least every row's valid count.
        let valid = Tensor(shape: [3, 7], scalars: [
            1, 1, 0, 1, 1, 0, 1,
            0, 1, 0, 0, 1, 1, 0,
            0, 0, 0, 1, 0, 0, 0,
        ])
        let full = layer(target: target, keys: behaviours, valid: valid)
        let retrieved = layer(target: target, behaviours: behaviours, valid: valid, retrieval: retrieval)
        #expect(retrieved.shape == [3, 4])
        expectClose(retrieved.scalars, full.scalars)
    }

    @Test func retrievalKeepsTheNearestBehaviours() {
        var generator = RandomGenerator(seed: 5)
        let layer = TargetAttention(dimensions: 2, attentionDimensions: 4, numHeads: 2, generator: &generator)
        let retrieval = SimHashRetrieval(
            projection: Tensor(shape: [2, 4], scalars: [1, 1, -1, 0.5, 1, -1, 0.5, 1]), retrievedCount: 2)
        let target = Tensor(shape: [1, 2], scalars: [1, 0])
        let behaviours = Tensor(shape: [1, 3, 2], scalars: [1, 0.1, -1, 0, 0.9, -0.2])
        let nearest = Tensor(shape: [1, 2, 2], scalars: [1, 0.1, 0.9, -0.2])
        expectClose(
            layer(target: target, behaviours: behaviours, valid: Tensor.ones([1, 3]), retrieval: retrieval).scalars,
            layer(target: target, keys: nearest).scalars)
    }

    @Test func gradientsThroughRetrieval() {
        var generator = RandomGenerator(seed: 6)
        let layer = TargetAttention(dimensions: 2, attentionDimensions: 4, numHeads: 2, generator: &generator)
        // The oracle's projection: every |xR| is at least 0.25, so the ±h steps of the finite
        // differences never flip a signature bit and the selection stays put.
        let retrieval = SimHashRetrieval(
            projection: Tensor(shape: [2, 4], scalars: [1, 1, -1, 0.5, 1, -1, 0.5, 1]), retrievedCount: 2)
        let target = Tensor(shape: [2, 2], scalars: [1, 0, -1, 0])
        let behaviours = Tensor(shape: [2, 3, 2], scalars: [1, 0.1, -1, 0, 0.9, -0.2, 1, 0.1, -1, 0, 0.9, -0.2])
        let valid = Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 1, 0])
        checkGradients([target, behaviours], parameters: layer.parameters()) {
            layer(target: $0[0], behaviours: $0[1], valid: valid, retrieval: retrieval)
        }
        // Only selected rows learn: row 0 keeps positions 2 and 0, row 1 positions 1 and 0 (its
        // position 2 is padding), so row 0 position 1 and row 1 position 2 get exactly 0.
        let leaf = Tensor(shape: behaviours.shape, scalars: behaviours.scalars, requiresGradient: true)
        layer(target: target, behaviours: leaf, valid: valid, retrieval: retrieval).sum().backward()
        let gradient = leaf.gradient!.scalars
        #expect(gradient[2..<4].allSatisfy { $0 == 0 } && gradient[10..<12].allSatisfy { $0 == 0 })
        for selected in [0, 4, 6, 8] { #expect(gradient[selected..<selected + 2].contains { $0 != 0 }) }
    }
}
