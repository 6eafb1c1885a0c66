import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

@Suite struct MixtureOfExpertsTests {
    @Test func gradients() {
        var generator = RandomGenerator(seed: 4)
        let layer = MixtureOfExperts(inputDimensions: 5, expertDimensions: [4, 3], experts: 3, gates: 2, generator: &generator)
        // A small step keeps the finite differences off the experts' ReLU kinks.
        checkGradients([uniform([6, 5])], parameters: layer.parameters(), step: 1e-3, tolerance: 5e-3) { inputs in
            let outputs = layer(inputs[0])
            return outputs[0] + 2 * outputs[1]
        }
    }

    @Test func zeroGatesAverageTheExperts() {
        var generator = RandomGenerator(seed: 4)
        let layer = MixtureOfExperts(inputDimensions: 5, expertDimensions: [3], experts: 4, gates: 2, generator: &generator)
        for gate in layer.gates {
            gate.weight.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            gate.bias!.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        let input = uniform([7, 5])
        let mean = layer.experts.map { $0(input) }.reduce(Tensor(0), +) / 4
        let outputs = layer(input)
        #expect(outputs.count == 2 && outputs[0].shape == [7, 3])
        expectClose(outputs[0].scalars, mean.scalars)
        expectClose(outputs[1].scalars, mean.scalars)
    }
}
