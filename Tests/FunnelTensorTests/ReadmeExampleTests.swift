import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelTensor

/// The README's example, kept true.
@Test func readmeExample() {
    let weight = Tensor(shape: [3, 1], scalars: [0.1, -0.2, 0.3], requiresGradient: true)
    let inputs = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let loss = Tensor.matmul(inputs, weight).softplus().mean()
    loss.backward()
    // d/dw mean(softplus(x·w)) = mean over rows of σ(x·w)·x; x·w = [0.6, 1.2].
    let sigmoid = { (value: Double) in Float(1 / (1 + Foundation.exp(-value))) }
    let expected = (0..<3).map { column in
        (sigmoid(0.6) * Float(1 + column) + sigmoid(1.2) * Float(4 + column)) / 2
    }
    expectClose(weight.gradient!.scalars, expected)
}

