import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

@Suite struct LossTests {
    @Test func binaryCrossEntropyGradient() {
        let labels = Tensor([1, 0, 0.3, 1])
        let weights = Tensor([1, 2, 0.5, 0])
        checkGradients([uniform([4], -5, 5)]) { Losses.binaryCrossEntropy(logits: $0[0], labels: labels, weights: weights) }
    }

    @Test func binaryCrossEntropyValues() {
        let loss = Losses.binaryCrossEntropy(logits: Tensor([0, 2, -3]), labels: Tensor([1, 0, 0]), reduction: .none)
        expectClose(loss.scalars, [0.6931472, 2.126928, 0.04858735])
        // Mean divides by the number of rows even where weights are zero.
        let weighted = Losses.binaryCrossEntropy(logits: Tensor([0, 0]), labels: Tensor([1, 1]), weights: Tensor([1, 0]))
        expectClose([weighted.scalar], [0.6931472 / 2])
    }

    @Test func productLossGradient() {
        let labels = Tensor([1, 0, 1, 0])
        checkGradients([uniform([4], -4, 4), uniform([4], -4, 4, seed: 9)]) {
            Losses.productBinaryCrossEntropy(firstLogits: $0[0], secondLogits: $0[1], labels: labels)
        }
    }

    @Test func productLossMatchesTheDirectFormula() {
        let first = Tensor([0.5, -1, 2])
        let second = Tensor([1, 0.3, -2])
        let labels = Tensor([1, 0, 0])
        let loss = Losses.productBinaryCrossEntropy(firstLogits: first, secondLogits: second, labels: labels, reduction: .none)
        let expected = zip(zip(first.scalars, second.scalars), labels.scalars).map { pair, label -> Float in
            let p = 1 / (1 + Foundation.exp(-Double(pair.0))) / (1 + Foundation.exp(-Double(pair.1)))
            return Float(-(Double(label) * Foundation.log(p) + (1 - Double(label)) * Foundation.log(1 - p)))
        }
        expectClose(loss.scalars, expected)
    }

    @Test func lossesStayFiniteForExtremeLogits() {
        let logits = Tensor([-100, 100, -100, 100], requiresGradient: true)
        let other = Tensor([100, 100, -100, -100], requiresGradient: true)
        let labels = Tensor([1, 0, 1, 0])
        for loss in [
            Losses.binaryCrossEntropy(logits: logits, labels: labels),
            Losses.productBinaryCrossEntropy(firstLogits: logits, secondLogits: other, labels: labels),
            Losses.softmaxCrossEntropy(logits: Tensor.concatenated([logits.reshaped([2, 2]), other.reshaped([2, 2])], alongAxis: 1), labels: [0, 3]),
        ] {
            logits.zeroGradient()
            other.zeroGradient()
            loss.backward()
            #expect(loss.scalar.isFinite)
            #expect((logits.gradient?.scalars ?? []).allSatisfy { $0.isFinite })
            #expect((other.gradient?.scalars ?? []).allSatisfy { $0.isFinite })
        }
        // a = b = 100 with label 0: −log(1 − σ(100)²) = 100 − log 2.
        let saturated = Losses.productBinaryCrossEntropy(firstLogits: Tensor([100]), secondLogits: Tensor([100]), labels: Tensor([0]))
        expectClose([saturated.scalar], [99.306853])
    }

    @Test func softmaxCrossEntropy() {
        checkGradients([uniform([3, 4])]) { Losses.softmaxCrossEntropy(logits: $0[0], labels: [0, 3, 2]) }
        let loss = Losses.softmaxCrossEntropy(logits: Tensor(shape: [1, 3], scalars: [1, 2, 3]), labels: [2])
        expectClose([loss.scalar], [0.40760596])
    }

    @Test func sampledSoftmax() {
        checkGradients([uniform([3]), uniform([3, 4], seed: 2)]) {
            Losses.sampledSoftmaxCrossEntropy(positiveLogits: $0[0], negativeLogits: $0[1])
        }
        let loss = Losses.sampledSoftmaxCrossEntropy(positiveLogits: Tensor([3]), negativeLogits: Tensor(shape: [1, 2], scalars: [1, 2]))
        expectClose([loss.scalar], [0.40760596])
    }

    @Test func meanSquaredError() {
        checkGradients([uniform([5])]) { Losses.meanSquaredError(predictions: $0[0], targets: Tensor([1, 2, 3, 4, 5])) }
        expectClose([Losses.meanSquaredError(predictions: Tensor([1, 2]), targets: Tensor([0, 0])).scalar], [2.5])
    }
}
