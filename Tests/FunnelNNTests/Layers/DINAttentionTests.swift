import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

// DIN's attention pooling (entire-space.md §9.2).

private func zeroed(_ layer: DINAttention) -> DINAttention {
    for parameter in layer.parameters() { parameter.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
    return layer
}

@Suite struct DINAttentionTests {
    @Test func officialSizes() {
        var generator = RandomGenerator(seed: 1)
        let layer = DINAttention(dimensions: 3, generator: &generator)
        #expect(layer.normalisation == .softmax && layer.scorer.activation == .sigmoid)
        #expect(layer.parameters().map(\.shape) == [[80, 12], [80], [40, 80], [40], [1, 40], [1]])
        let output = layer(target: uniform([2, 3]), sequence: uniform([2, 5, 3], seed: 2), mask: Tensor.ones([2, 5]))
        #expect(output.shape == [2, 3])
    }

    @Test func zeroScorerOracle() {
        var generator = RandomGenerator(seed: 2)
        let target = uniform([2, 3], seed: 3)
        let sequence = uniform([2, 4, 3], seed: 4)
        let mask = Tensor(shape: [2, 4], scalars: [1, 1, 0, 1, 0, 0, 1, 0])
        // Equal scores: the softmax variant is the mean of the valid behaviours...
        let softmax = zeroed(DINAttention(dimensions: 3, generator: &generator))
        expectClose(softmax(target: target, sequence: sequence, mask: mask).scalars,
                    SequencePooling.mean(sequence, mask: mask).scalars)
        // ...and the paper's variant weighs every behaviour by its zero score.
        let paper = zeroed(DINAttention(dimensions: 3, normalisation: .none, generator: &generator))
        #expect(paper(target: target, sequence: sequence, mask: mask).scalars == Array(repeating: 0, count: 6))
    }

    @Test(arguments: DINAttention.Normalisation.allCases)
    func matchesTheReferenceFormula(normalisation: DINAttention.Normalisation) {
        var generator = RandomGenerator(seed: 3)
        let layer = DINAttention(dimensions: 2, hiddenDimensions: [5, 4], normalisation: normalisation, generator: &generator)
        let target: [Float] = [0.7, -1.2]
        let sequence: [[Float]] = [[0.3, 0.5], [-1, 2], [1.5, -0.4]]
        let valid = [true, false, true]
        // a_j from in_j = [t, e_j, t − e_j, t ⊙ e_j], one behaviour at a time.
        let scores = sequence.map { behaviour in
            let input: [Float] = target + behaviour + zip(target, behaviour).map { $0 - $1 } + zip(target, behaviour).map { $0 * $1 }
            return layer.scorer(Tensor(shape: [1, 8], scalars: input)).scalar
        }
        let weights: [Float]
        if normalisation == .softmax {
            let scaled = zip(scores, valid).map { $1 ? $0 / Float(2).squareRoot() : -4_294_967_296 / Float(2).squareRoot() }
            let largest = scaled.max()!
            let exponentials = scaled.map { Float(exp(Double($0 - largest))) }
            weights = exponentials.map { $0 / exponentials.reduce(0, +) }
        } else {
            weights = zip(scores, valid).map { $1 ? $0 : 0 }
        }
        let expected = (0..<2).map { column in zip(weights, sequence).reduce(0) { $0 + $1.0 * $1.1[column] } }
        let output = layer(
            target: Tensor(shape: [1, 2], scalars: target), sequence: Tensor(shape: [1, 3, 2], scalars: sequence.flatMap { $0 }),
            mask: Tensor(shape: [1, 3], scalars: valid.map { $0 ? 1 : 0 }))
        expectClose(output.scalars, expected)
    }

    @Test func fullyPaddedRows() {
        var generator = RandomGenerator(seed: 4)
        let target = uniform([2, 3], seed: 5)
        let sequence = uniform([2, 4, 3], seed: 6)
        let mask = Tensor(shape: [2, 4], scalars: [1, 0, 1, 1, 0, 0, 0, 0])
        let paper = DINAttention(dimensions: 3, normalisation: .none, generator: &generator)
        let paperOutput = paper(target: target, sequence: sequence, mask: mask).scalars
        #expect(paperOutput[3..<6].allSatisfy { $0 == 0 })
        #expect(paperOutput.allSatisfy { $0.isFinite })
        let official = DINAttention(dimensions: 3, generator: &generator)
        let officialOutput = official(target: target, sequence: sequence, mask: mask).scalars
        #expect(officialOutput.allSatisfy { $0.isFinite })
        // Not the official code's mean of the padded embeddings: nothing to attend to gives 0.
        #expect(officialOutput[3..<6].allSatisfy { $0 == 0 } && officialOutput[0..<3].contains { $0 != 0 })
        #expect(official.weights(target: target, sequence: sequence, mask: mask).scalars[4..<8].allSatisfy { $0 == 0 })
    }

    @Test(arguments: DINAttention.Normalisation.allCases)
    func fullyPaddedRowPassesNoGradient(normalisation: DINAttention.Normalisation) {
        var generator = RandomGenerator(seed: 7)
        let layer = DINAttention(dimensions: 3, hiddenDimensions: [6, 4], normalisation: normalisation, generator: &generator)
        let mask = Tensor(shape: [2, 4], scalars: [1, 0, 1, 1, 0, 0, 0, 0])
        checkGradients([uniform([2, 3], seed: 11), uniform([2, 4, 3], seed: 12)], parameters: layer.parameters()) {
            layer(target: $0[0], sequence: $0[1], mask: mask)
        }
        let sequence = Tensor(shape: [2, 4, 3], scalars: uniform([2, 4, 3], seed: 12).scalars, requiresGradient: true)
        layer(target: uniform([2, 3], seed: 11), sequence: sequence, mask: mask).sum().backward()
        #expect(sequence.gradient!.scalars[12..<24].allSatisfy { $0 == 0 })
    }

    @Test func paddingIsIgnored() {
        var generator = RandomGenerator(seed: 5)
        let layer = DINAttention(dimensions: 3, hiddenDimensions: [6], generator: &generator)
        let target = uniform([1, 3], seed: 7)
        let sequence = uniform([1, 3, 3], seed: 8)
        var changed = sequence.scalars
        for index in 3..<6 { changed[index] += 4 }
        let mask = Tensor(shape: [1, 3], scalars: [1, 0, 1])
        expectClose(
            layer(target: target, sequence: sequence, mask: mask).scalars,
            layer(target: target, sequence: Tensor(shape: [1, 3, 3], scalars: changed), mask: mask).scalars)
    }

    @Test(arguments: DINAttention.Normalisation.allCases)
    func gradients(normalisation: DINAttention.Normalisation) {
        var generator = RandomGenerator(seed: 6)
        // Sigmoid hidden layers and a softmax: smooth, no kinks for the finite differences.
        let layer = DINAttention(dimensions: 3, hiddenDimensions: [6, 4], normalisation: normalisation, generator: &generator)
        let mask = Tensor(shape: [2, 4], scalars: [1, 1, 0, 1, 0, 1, 0, 0])
        checkGradients([uniform([2, 3], seed: 9), uniform([2, 4, 3], seed: 10)], parameters: layer.parameters()) {
            layer(target: $0[0], sequence: $0[1], mask: mask)
        }
    }

    @Test(arguments: DINAttention.Normalisation.allCases)
    func positionEncodingStartsAsPlainDIN(normalisation: DINAttention.Normalisation) {
        var (plainGenerator, generator, positionGenerator) = (RandomGenerator(seed: 5), RandomGenerator(seed: 5), RandomGenerator(seed: 6))
        let encoding = ContextualPositionEncoding(headWidth: 3, positionDimensions: 4, maximumPositions: 4, generator: &positionGenerator)
        let plain = DINAttention(dimensions: 3, hiddenDimensions: [5], normalisation: normalisation, generator: &plainGenerator)
        let layer = DINAttention(
            dimensions: 3, hiddenDimensions: [5], normalisation: normalisation, positionEncoding: encoding, generator: &generator)
        let (target, sequence) = (uniform([2, 3], seed: 7), uniform([2, 4, 3], seed: 8))
        let mask = Tensor(shape: [2, 4], scalars: [1, 1, 1, 0, 1, 0, 0, 0])
        #expect(layer(target: target, sequence: sequence, mask: mask).scalars == plain(target: target, sequence: sequence, mask: mask).scalars)
    }

    @Test(arguments: DINAttention.Normalisation.allCases)
    func positionLogitsJoinTheScores(normalisation: DINAttention.Normalisation) {
        var (generator, positionGenerator) = (RandomGenerator(seed: 9), RandomGenerator(seed: 10))
        let encoding = ContextualPositionEncoding(headWidth: 3, positionDimensions: 4, maximumPositions: 4, generator: &positionGenerator)
        let table = uniform([4, 4], seed: 11).scalars
        encoding.table.withUnsafeMutableBufferPointer { buffer in for index in table.indices { buffer[index] = table[index] } }
        let layer = DINAttention(
            dimensions: 3, hiddenDimensions: [5], normalisation: normalisation, positionEncoding: encoding, generator: &generator)
        let (target, sequence) = (uniform([2, 3], seed: 12), uniform([2, 4, 3], seed: 13))
        let mask = Tensor(shape: [2, 4], scalars: [1, 1, 1, 0, 1, 1, 0, 0])
        // Padding gates 0: the positions of a row count its valid behaviours only.
        let raw = layer.scores(target: target, sequence: sequence)
        let positions = encoding.positionLogits(
            queries: target.reshaped([2, 1, 1, 3]), logits: (raw * mask).reshaped([2, 1, 1, 4]), open: mask.reshaped([2, 1, 1, 4]))
        let scores = raw + positions.reshaped([2, 4])
        let expected: Tensor
        switch normalisation {
        case .softmax:
            expected = Tensor.where(mask, scores * (1 / Float(3).squareRoot()), Tensor(-1e30)).softmax(alongAxis: 1)
        case .none:
            expected = scores * mask
        }
        expectClose(layer.weights(target: target, sequence: sequence, mask: mask).scalars, expected.scalars)
        #expect(layer.parameters().count == plainParameterCount(hidden: [5]) + 3)
    }
}

/// The number of parameter tensors of a DIN scorer with these hidden layers.
private func plainParameterCount(hidden: [Int]) -> Int { 2 * (hidden.count + 1) }
