import Foundation
import Testing

@testable import FunnelTensor
import FunnelTestSupport

// One line per differentiable element-wise operation: forward against a reference, gradient
// against central finite differences.

@Suite struct ElementwiseGradientTests {
    @Test func add() { checkGradients([uniform([3, 4]), uniform([4], seed: 3)]) { $0[0] + $0[1] } }
    @Test func subtract() { checkGradients([uniform([3, 1]), uniform([1, 4], seed: 3)]) { $0[0] - $0[1] } }
    @Test func multiply() { checkGradients([uniform([2, 3, 4]), uniform([3, 1], seed: 3)]) { $0[0] * $0[1] } }
    @Test func divide() { checkGradients([uniform([3, 4]), awayFromZero([3, 4])]) { $0[0] / $0[1] } }
    @Test func scalarOperands() { checkGradients([uniform([5])]) { (2 - $0[0]) * 3 + 1 / ($0[0] + 5) } }
    @Test func negate() { checkGradients([uniform([6])]) { -$0[0] } }
    @Test func exp() { checkGradients([uniform([3, 4])]) { $0[0].exp() } }
    @Test func log() { checkGradients([uniform([3, 4], 0.2, 3)]) { $0[0].log() } }
    @Test func sqrt() { checkGradients([uniform([3, 4], 0.2, 3)]) { $0[0].sqrt() } }
    @Test func powerConstant() { checkGradients([uniform([7], 0.2, 3)]) { $0[0].pow(3) } }
    @Test func powerHalfAndSquare() { checkGradients([uniform([7], 0.2, 3)]) { $0[0].pow(0.5) + $0[0].pow(2) } }
    @Test func powerFractional() { checkGradients([uniform([7], 0.2, 3)]) { $0[0].pow(-1.5) } }
    @Test func powerTensors() {
        checkGradients([uniform([2, 3], 0.5, 2), uniform([3], -1, 2, seed: 4)]) { Tensor.pow($0[0], $0[1]) }
    }
    @Test func abs() { checkGradients([awayFromZero([8])]) { $0[0].abs() } }
    @Test func relu() { checkGradients([awayFromZero([8])]) { $0[0].relu() } }
    @Test func sigmoid() { checkGradients([uniform([3, 4], -6, 6)]) { $0[0].sigmoid() } }
    @Test func sigmoidBackwardIsTheCompositeBitForBit() {
        // The fused pass multiplies in the composite's order: g·σ, then ·(1 − σ).
        let input = Tensor(shape: [5, 7], scalars: uniform([5, 7], -8, 8).scalars, requiresGradient: true)
        let seed = uniform([5, 7], seed: 3)
        let output = input.sigmoid()
        output.backward(seed: seed)
        let values = output.detached()
        #expect(input.gradient!.scalars == (seed * values * (1 - values)).scalars)
    }
    @Test func tanh() { checkGradients([uniform([3, 4], -3, 3)]) { $0[0].tanh() } }
    @Test func gelu() { checkGradients([uniform([3, 4], -4, 4)]) { $0[0].gelu() } }
    @Test func softplus() { checkGradients([uniform([3, 4], -6, 6)]) { $0[0].softplus() } }
    @Test func logSigmoid() { checkGradients([uniform([3, 4], -6, 6)]) { $0[0].logSigmoid() } }
    @Test func clamp() { checkGradients([Tensor([-3, -1.2, 0.3, 0.9, 2.5])]) { $0[0].clamped(min: -1, max: 1) } }
    @Test func maximum() { checkGradients([uniform([3, 4]), uniform([4], seed: 5)]) { Tensor.maximum($0[0], $0[1]) } }
    @Test func minimum() { checkGradients([uniform([3, 4]), uniform([3, 1], seed: 5)]) { Tensor.minimum($0[0], $0[1]) } }
    @Test func whereSelects() {
        let mask = Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 1])
        checkGradients([uniform([2, 3]), uniform([3], seed: 6)]) { Tensor.where(mask, $0[0], $0[1]) }
    }

    @Test func forwardValues() {
        let x = Tensor([-2, -0.5, 0, 0.5, 2])
        expectClose(x.exp().scalars, x.scalars.map { Float(Foundation.exp(Double($0))) })
        expectClose(x.sigmoid().scalars, x.scalars.map { 1 / (1 + Float(Foundation.exp(Double(-$0)))) })
        expectClose(x.tanh().scalars, x.scalars.map { Float(Foundation.tanh(Double($0))) })
        expectClose(x.softplus().scalars, x.scalars.map { Float(Foundation.log1p(Foundation.exp(Double($0)))) })
        expectClose(x.relu().scalars, [0, 0, 0, 0.5, 2])
        // The fused GELU against its composition (tanh approximation).
        expectClose(x.gelu().scalars, (x * 0.5 * (1 + ((x + x * x * x * 0.044715) * 0.7978845608).tanh())).scalars)
        expectClose(x.abs().scalars, [2, 0.5, 0, 0.5, 2])
        expectClose(x.clamped(min: -1, max: 1).scalars, [-1, -0.5, 0, 0.5, 1])
        expectClose((x .> 0).scalars, [0, 0, 0, 1, 1])
        expectClose((x .<= 0).scalars, [1, 1, 1, 0, 0])
        expectClose((x .== 0.5).scalars, [0, 0, 0, 1, 0])
    }

    @Test func tiesShareTheGradientOfMaximum() {
        let left = Tensor([1, 2], requiresGradient: true)
        let right = Tensor([1, 3], requiresGradient: true)
        Tensor.maximum(left, right).sum().backward()
        #expect(left.gradient?.scalars == [0.5, 0])
        #expect(right.gradient?.scalars == [0.5, 1])
    }
}
