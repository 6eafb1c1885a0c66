import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// Where the mathematics is finite, values and gradients must be finite too, for any input.
@Suite struct ExtremeInputTests {
    private func valuesAndGradient(_ values: [Float], _ function: (Tensor) -> Tensor) -> ([Float], [Float]) {
        let input = Tensor(values, requiresGradient: true)
        let output = function(input)
        output.sum().backward()
        return (output.scalars, input.gradient!.scalars)
    }

    private func expectFinite(_ values: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(values.allSatisfy { $0.isFinite }, "\(values)", sourceLocation: sourceLocation)
    }

    @Test func sigmoidSaturates() {
        let (values, gradient) = valuesAndGradient([-1000, -100, -30, 30, 100, 1000]) { $0.sigmoid() }
        expectFinite(values + gradient)
        #expect(values[0] == 0 && values[5] == 1)
        #expect(Swift.abs(values[2] - 9.357623e-14) / 9.357623e-14 < 1e-5)
    }

    @Test func softplusAndLogSigmoidStayFinite() {
        let inputs: [Float] = [-1000, -100, -20, 20, 100, 1000]
        let (softplus, softplusGradient) = valuesAndGradient(inputs) { $0.softplus() }
        let (logSigmoid, logSigmoidGradient) = valuesAndGradient(inputs) { $0.logSigmoid() }
        expectFinite(softplus + softplusGradient + logSigmoid + logSigmoidGradient)
        #expect(softplus[5] == 1000 && logSigmoid[0] == -1000)
        #expect(Swift.abs(softplus[2] - 2.0611537e-9) / 2.0611537e-9 < 1e-5)
        #expect(Swift.abs(logSigmoid[3] + 2.0611537e-9) / 2.0611537e-9 < 1e-5)
    }

    @Test func expUnderflowsAndStaysExactNearOverflow() {
        let (values, gradient) = valuesAndGradient([-1000, -100, 0, 80, 88.7]) { $0.exp() }
        expectFinite(values + gradient)
        #expect(values[0] == 0 && values[1] == 0 && values[2] == 1)
        #expect(Swift.abs(values[4] - 3.3259779e38) / 3.3259779e38 < 1e-5)
    }

    @Test func logOfTinyAndHugeValues() {
        let (values, gradient) = valuesAndGradient([1e-38, 1e-30, 1, 1e30, 3e38]) { $0.log() }
        expectFinite(values + gradient)
        expectClose(values, [-87.49823, -69.07755, 0, 69.07755, 88.59685], tolerance: 1e-6)
        #expect(Tensor([0]).log().scalar == -.infinity)
        #expect(Tensor([-1]).log().scalar.isNaN)
    }

    @Test func logSoftmaxOfWidelySpreadLogits() {
        let input = Tensor(shape: [2, 3], scalars: [1000, 0, -1000, -1e4, -1e4, -1e4], requiresGradient: true)
        let output = input.logSoftmax()
        output.sum().backward()
        expectFinite(output.scalars + input.gradient!.scalars)
        expectClose(output.scalars, [0, -1000, -2000, -1.0986123, -1.0986123, -1.0986123])
        let softmax = input.softmax()
        expectFinite(softmax.scalars)
        expectClose(softmax.scalars, [1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3])
    }

    @Test func tanhAtExtremes() {
        let (values, gradient) = valuesAndGradient([-1000, -20, 1e-6, 20, 1000]) { $0.tanh() }
        expectFinite(values + gradient)
        expectClose(values, [-1, -1, 1e-6, 1, 1])
        #expect(Swift.abs(values[2] - 1e-6) < 1e-12)
    }

    @Test func logSumExpOfLargeValues() {
        let input = Tensor([1000, 1000], requiresGradient: true)
        let output = input.logSumExp()
        output.backward()
        expectClose([output.scalar], [1000.6931])
        expectClose(input.gradient!.scalars, [0.5, 0.5])
    }
}
