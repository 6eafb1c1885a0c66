import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

// CAPE (sequential.md §3), the oracles of §3.5.

private func encoding(
    headWidth: Int = 3, positionDimensions: Int = 2, maximumPositions: Int = 10,
    legacy: Bool = false,
    randomTable: Bool = false, seed: UInt64 = 1
) -> ContextualPositionEncoding {
    var generator = RandomGenerator(seed: seed)
    let layer = ContextualPositionEncoding(
        headWidth: headWidth, positionDimensions: positionDimensions,
        maximumPositions: maximumPositions,
        legacyMaskedGate: legacy, generator: &generator)
    if randomTable {
        let values = uniform(layer.table.shape, seed: seed + 100).scalars
        layer.table.withUnsafeMutableBufferPointer { buffer in
            for index in values.indices { buffer[index] = values[index] }
        }
    }
    return layer
}

/// `[rows, P_max]`: z = SiLU(W q + b) · Pemb for queries `[rows, C]`.
private func positionScores(_ layer: ContextualPositionEncoding, _ queries: Tensor) -> [[Float]] {
    let projected = layer.projection(queries)
    let scores = Tensor.matmul(projected * projected.sigmoid(), layer.table)
    return (0..<queries.shape[0]).map {
        Array(scores.scalars[$0 * layer.maximumPositions..<($0 + 1) * layer.maximumPositions])
    }
}

@Suite struct ContextualPositionEncodingTests {
    @Test func zeroLogitsGiveHalfGatesAndQuarterSteps() {
        let layer = encoding()
        let logits = Tensor.zeros([1, 1, 1, 4])
        #expect(layer.gates(logits: logits, open: nil).scalars == [0.5, 0.5, 0.5, 0.5])
        #expect(layer.positions(logits: logits, open: nil).scalars == [2.0, 1.5, 1.0, 0.5])
    }

    @Test func interpolatesBetweenNeighbouringPositions() {
        let layer = encoding(randomTable: true)
        let queries = uniform([1, 1, 1, 3], seed: 2)
        let z = positionScores(layer, queries.reshaped([1, 3]))[0]
        let positionLogits = layer.positionLogits(
            queries: queries, logits: Tensor.zeros([1, 1, 1, 4]), open: nil)
        // p = (2, 1.5, 1, 0.5): integers read z[p], halves the mean of the two neighbours.
        expectClose(
            positionLogits.scalars, [z[2], 0.5 * z[1] + 0.5 * z[2], z[1], 0.5 * z[0] + 0.5 * z[1]])
    }

    @Test func positionsFallTowardsTheEndAndEndAtTheLastGate() {
        let layer = encoding(maximumPositions: 50)
        let logits = uniform([2, 2, 3, 6], -4, 4, seed: 3)
        let positions = layer.positions(logits: logits, open: nil).scalars
        let gates = layer.gates(logits: logits, open: nil).scalars
        for row in 0..<12 {
            for key in 1..<6 { #expect(positions[row * 6 + key] <= positions[row * 6 + key - 1]) }
            #expect(positions[row * 6 + 5] == gates[row * 6 + 5])
        }
    }

    @Test func legacyGateCountsEveryBlockedKey() {
        // Causal attention over 4 keys with zero logits: key k is blocked for queries i < k.
        let mask = MultiHeadAttention.causalMask(length: 4).reshaped([1, 1, 4, 4])
        let open = mask .> Tensor(MultiHeadAttention.blocked / 2)
        let logits = Tensor.zeros([1, 1, 4, 4]) + mask
        let plain = encoding().positions(logits: logits, open: open).scalars
        let legacy = encoding(legacy: true).positions(logits: logits, open: open).scalars
        for query in 0..<4 {
            for key in 0..<4 {
                let blockedFromKeyOn = Float(3 - Swift.max(query, key - 1))
                #expect(plain[query * 4 + key] == 0.5 * Float(Swift.max(query - key + 1, 0)))
                #expect(legacy[query * 4 + key] == plain[query * 4 + key] + blockedFromKeyOn)
            }
        }
    }

    @Test func positionsAreClampedToTheLastColumn() {
        let layer = encoding(maximumPositions: 3, randomTable: true)
        let logits = Tensor(shape: [1, 1, 1, 6], repeating: -40)
        #expect(layer.positions(logits: logits, open: nil).scalars == [2, 2, 2, 2, 2, 1])
        let queries = uniform([1, 1, 1, 3], seed: 4)
        let z = positionScores(layer, queries.reshaped([1, 3]))[0]
        expectClose(
            layer.positionLogits(queries: queries, logits: logits, open: nil).scalars,
            [z[2], z[2], z[2], z[2], z[2], z[1]])
    }

    @Test func atInitialisationEqualsTheFusedAttention() {
        let layer = encoding(headWidth: 4)
        let (queries, keys, values) = (
            uniform([2, 5, 12], seed: 5), uniform([2, 5, 12], seed: 6),
            uniform([2, 5, 12], seed: 7)
        )
        // Causal, with row 1's keys all padding: its queries attend to nothing and output 0.
        let valid = Tensor(shape: [2, 5], scalars: [1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        let mask =
            MultiHeadAttention.keyPaddingMask(valid) + MultiHeadAttention.causalMask(length: 5)
        let fused = Tensor.attention(
            queries: queries, keys: keys, values: values, heads: 3, mask: mask,
            closedBelow: MultiHeadAttention.blocked / 2)
        let output = layer.attention(
            queries: queries, keys: keys, values: values, heads: 3, mask: mask)
        expectClose(output.scalars, fused.scalars, tolerance: 1e-6)
        #expect(output.scalars[60...].allSatisfy { $0 == 0 })
        let unmasked = Tensor.attention(queries: queries, keys: keys, values: values, heads: 3)
        expectClose(
            layer.attention(queries: queries, keys: keys, values: values, heads: 3, mask: nil)
                .scalars, unmasked.scalars, tolerance: 1e-6)
    }

    @Test func atInitialisationEqualsMultiHeadAttention() {
        var generator = RandomGenerator(seed: 8)
        let attention = MultiHeadAttention(dimensions: 8, numHeads: 2, generator: &generator)
        let layer = encoding(headWidth: 4)
        let input = uniform([2, 4, 8], seed: 9)
        let mask = MultiHeadAttention.causalMask(length: 4)
        let expected = attention(queries: input, keys: input, values: input, mask: mask)
        let attended = layer.attention(
            queries: attention.queryProjection(input), keys: attention.keyProjection(input),
            values: attention.valueProjection(input), heads: 2, mask: mask)
        expectClose(attention.outputProjection(attended).scalars, expected.scalars, tolerance: 1e-6)
    }

    @Test func learnedTableMovesTheWeightsAndLeavesThemNormalised() {
        let layer = encoding(randomTable: true)
        let (queries, keys) = (uniform([1, 3, 3], seed: 10), uniform([1, 3, 3], seed: 11))
        // Identity values: each output row is that query's attention weights.
        let identity = Tensor(shape: [1, 3, 3], scalars: [1, 0, 0, 0, 1, 0, 0, 0, 1])
        let weights = layer.attention(
            queries: queries, keys: keys, values: identity, heads: 1, mask: nil)
        let plain = Tensor.attention(queries: queries, keys: keys, values: identity, heads: 1)
        expectClose(weights.sum(alongAxes: [2]).scalars, [1, 1, 1])
        #expect(zip(weights.scalars, plain.scalars).contains { Swift.abs($0 - $1) > 1e-4 })
    }

    @Test func positionLogitGradients() {
        let layer = encoding(randomTable: true)
        let parameters = [layer.projection.weight, layer.projection.bias!, layer.table]
        // Logits chosen so that every position of an open key lies at least 0.08 from the
        // integers where the interpolation bends (finite differences would straddle them).
        let queries = uniform([1, 2, 2, 3], seed: 12)
        let logits = Tensor(
            shape: [1, 2, 2, 4],
            scalars: [
                0.847, 0.619, 1.386, 0.1, 0.2, -0.3, 0.847, -0.405, 0.9, 0.55, 1.3, -0.2, 0.25, 0.4,
                0.8, -0.45,
            ])
        let open = Tensor(shape: [1, 1, 2, 4], scalars: [1, 1, 1, 0, 1, 0, 1, 1])
        for position in layer.positions(logits: logits, open: open).scalars where position != 0 {
            #expect(
                Swift.abs(position - position.rounded()) > 0.05,
                "position \(position) too close to an integer")
        }
        checkGradients([queries, logits], parameters: parameters) {
            layer.positionLogits(queries: $0[0], logits: $0[1], open: open)
        }
    }

    @Test func attentionGradients() {
        let layer = encoding(headWidth: 2, randomTable: true)
        let mask = MultiHeadAttention.causalMask(length: 3)
        checkGradients(
            [
                uniform([1, 3, 4], -1, 1, seed: 14), uniform([1, 3, 4], -1, 1, seed: 15),
                uniform([1, 3, 4], seed: 16),
            ],
            parameters: [layer.table]
        ) { layer.attention(queries: $0[0], keys: $0[1], values: $0[2], heads: 2, mask: mask) }
    }
}
