import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// Small models really learn: the layers, losses and optimizers together.
@Suite struct LearningTests {
    @Test func mlpFitsXOR() {
        var generator = RandomGenerator(seed: 11)
        let model = MLP(inputDimensions: 2, hiddenDimensions: [8], outputDimensions: 1, activation: .tanh, generator: &generator)
        let inputs = Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
        let labels = Tensor([0, 1, 1, 0])
        let optimizer = Adam(parameters: model.parameters(), learningRate: 0.05)
        for _ in 0..<400 {
            Losses.binaryCrossEntropy(logits: model(inputs).reshaped([4]), labels: labels).backward()
            optimizer.step()
        }
        let probabilities = model(inputs).sigmoid().scalars
        #expect(probabilities[0] < 0.1 && probabilities[3] < 0.1, "\(probabilities)")
        #expect(probabilities[1] > 0.9 && probabilities[2] > 0.9, "\(probabilities)")
    }

    /// A logistic model over 3 categorical fields recovers planted per-id weights.
    @Test func multiFieldLogisticRecoversAPlantedSignal() {
        let sizes = [4, 6, 5]
        var truth = RandomGenerator(seed: 21)
        let planted = sizes.map { size in (0..<size).map { _ in truth.nextNormal() } }
        var data = RandomGenerator(seed: 22)
        let rows = 20_000
        var ids: [Int32] = []
        var labels: [Float] = []
        for _ in 0..<rows {
            var logit: Float = -0.5
            for (field, size) in sizes.enumerated() {
                let id = Int(data.next() % UInt64(size))
                ids.append(Int32(id))
                logit += planted[field][id]
            }
            labels.append(data.nextUnitFloat() < 1 / (1 + Float(exp(Double(-logit)))) ? 1 : 0)
        }
        var generator = RandomGenerator(seed: 23)
        let weights = FieldEmbedding(vocabularySizes: sizes, dimensions: 1, initializer: .constant(0), generator: &generator)
        let bias = Tensor([0], requiresGradient: true)
        let optimizer = Adam(parameters: weights.parameters() + [bias], learningRate: 0.05)
        let batch = 500
        for epoch in 0..<6 {
            _ = epoch
            for start in stride(from: 0, to: rows, by: batch) {
                let batchIDs = Array(ids[start * 3..<(start + batch) * 3])
                let logits = weights(batchIDs).sum(alongAxes: [1, 2]) + bias
                Losses.binaryCrossEntropy(logits: logits, labels: Tensor(Array(labels[start..<start + batch]))).backward()
                optimizer.step()
            }
        }
        // Per field the weights are identified up to a shift; compare centred values.
        let table = weights.tables[0].table.scalars
        for (field, size) in sizes.enumerated() {
            let learned = (0..<size).map { table[Int(weights.offsets[field]) + $0] }
            let learnedMean = learned.reduce(0, +) / Float(size)
            let plantedMean = planted[field].reduce(0, +) / Float(size)
            for id in 0..<size {
                let error = Swift.abs((learned[id] - learnedMean) - (planted[field][id] - plantedMean))
                #expect(error < 0.15, "field \(field) id \(id): learned \(learned[id] - learnedMean), planted \(planted[field][id] - plantedMean)")
            }
        }
    }

    /// A one-layer causal decoder learns to output the previous token.
    @Test func decoderLearnsToCopyThePreviousToken() {
        let vocabulary = 6
        let length = 6
        var generator = RandomGenerator(seed: 31)
        let embedding = Embedding(count: vocabulary, dimensions: 16, initializer: .normal(mean: 0, standardDeviation: 0.5), generator: &generator)
        let positions = LearnedPositionEncoding(maximumLength: length, dimensions: 16, generator: &generator)
        let block = TransformerDecoderBlock(dimensions: 16, numHeads: 2, feedForwardDimensions: 32, generator: &generator)
        let head = Linear(16, vocabulary, generator: &generator)
        let parameters = embedding.parameters() + positions.parameters() + block.parameters() + head.parameters()
        let optimizer = Adam(parameters: parameters, learningRate: 0.01)
        var data = RandomGenerator(seed: 32)
        func sample(_ count: Int) -> [Int32] { (0..<count * length).map { _ in Int32(data.next() % UInt64(vocabulary)) } }
        func logits(_ tokens: [Int32], batch: Int) -> Tensor {
            head(block(positions(embedding(tokens, shape: [batch, length])))).reshaped([batch * length, vocabulary])
        }
        // Target at position t is the token at t − 1 (position 0 is not scored).
        func targets(_ tokens: [Int32], batch: Int) -> (rows: [Int32], labels: [Int32]) {
            var rows: [Int32] = []
            var labels: [Int32] = []
            for sequence in 0..<batch {
                for position in 1..<length {
                    rows.append(Int32(sequence * length + position))
                    labels.append(tokens[sequence * length + position - 1])
                }
            }
            return (rows, labels)
        }
        for _ in 0..<300 {
            let tokens = sample(16)
            let (rows, labels) = targets(tokens, batch: 16)
            Losses.softmaxCrossEntropy(logits: logits(tokens, batch: 16).indexSelect(rows), labels: labels).backward()
            optimizer.step()
        }
        let tokens = sample(32)
        let (rows, labels) = targets(tokens, batch: 32)
        let predictions = withoutGradients { logits(tokens, batch: 32).indexSelect(rows) }.scalars
        var correct = 0
        for (index, label) in labels.enumerated() {
            let row = predictions[index * vocabulary..<(index + 1) * vocabulary]
            if row.firstIndex(of: row.max()!)! - index * vocabulary == Int(label) { correct += 1 }
        }
        #expect(Double(correct) / Double(labels.count) > 0.95, "accuracy \(Double(correct) / Double(labels.count))")
    }
}
