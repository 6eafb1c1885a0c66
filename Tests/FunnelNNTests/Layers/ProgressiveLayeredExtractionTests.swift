import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// The oracles of multitask.md §2.
@Suite struct ProgressiveLayeredExtractionTests {
    @Test func gateSizesOfTheDefaults() {
        var generator = RandomGenerator(seed: 1)
        let layer = ProgressiveLayeredExtraction(
            inputDimensions: 6, widths: [5, 4], tasks: 2, sharedExperts: 4, taskExperts: 4, generator: &generator)
        #expect(layer.levels.count == 2)
        for level in layer.levels {
            #expect(level.taskGates.map(\.outputDimensions) == [8, 8])
            #expect(level.shared.count == 4 && level.specific.map(\.count) == [4, 4])
        }
        #expect(layer.levels[0].sharedGate?.outputDimensions == 12)
        #expect(layer.levels[1].sharedGate == nil, "the last level has no shared gate")
        let outputs = layer(uniform([3, 6]))
        #expect(outputs.count == 2 && outputs.allSatisfy { $0.shape == [3, 4] })
    }

    /// Every expert outputs the same vector v (zero weights, bias v) → every state is v.
    @Test func identicalExpertsPassTheirOutputThrough() {
        var generator = RandomGenerator(seed: 2)
        let layer = ProgressiveLayeredExtraction(
            inputDimensions: 5, widths: [3, 3], tasks: 3, sharedExperts: 2, taskExperts: 2, generator: &generator)
        let value: [Float] = [0.5, 1.5, 2]
        for level in layer.levels {
            for expert in level.shared + level.specific.flatMap({ $0 }) {
                expert.layers[0].weight.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                expert.layers[0].bias!.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: value) }
            }
        }
        let input = uniform([4, 5])
        for output in layer(input) { expectClose(output.scalars, Array([[Float]](repeating: value, count: 4).joined()), tolerance: 1e-6) }
        // The shared state of level 1 is v too.
        let first = layer.levels[0](tasks: [input, input, input], shared: input)
        expectClose(first.shared!.scalars, Array([[Float]](repeating: value, count: 4).joined()), tolerance: 1e-6)
    }

    /// L = 1, m_s = 0: T independent single-task mixtures; task 0's loss gives task 1's experts
    /// and gate exactly zero gradient.
    @Test func withoutSharedExpertsTasksAreIndependent() {
        var generator = RandomGenerator(seed: 3)
        let layer = ProgressiveLayeredExtraction(
            inputDimensions: 4, widths: [3], tasks: 2, sharedExperts: 0, taskExperts: 3, generator: &generator)
        #expect(layer.levels[0].sharedGate == nil)
        layer.zeroGradients()
        layer(uniform([5, 4]))[0].sum().backward()
        let other = layer.levels[0].specific[1].flatMap { $0.parameters() } + layer.levels[0].taskGates[1].parameters()
        for parameter in other {
            #expect(parameter.gradient.map { $0.scalars.allSatisfy { $0 == 0 } } ?? true)
        }
        let own = layer.levels[0].specific[0].flatMap { $0.parameters() }
        #expect(own.contains { $0.gradient.map { $0.scalars.contains { $0 != 0 } } ?? false })
    }

    @Test func gradients() {
        var generator = RandomGenerator(seed: 4)
        let layer = ProgressiveLayeredExtraction(
            inputDimensions: 4, widths: [3, 2], tasks: 2, sharedExperts: 1, taskExperts: 2, generator: &generator)
        checkGradients([uniform([5, 4])], parameters: layer.parameters(), step: 1e-3, tolerance: 5e-3) { inputs in
            let outputs = layer(inputs[0])
            return outputs[0] + 2 * outputs[1]
        }
    }

    @Test func gateRowsSumToOne() {
        var generator = RandomGenerator(seed: 5)
        let layer = MixtureOfExperts(inputDimensions: 4, expertDimensions: [3], experts: 3, gates: 2, generator: &generator)
        for weights in layer.gateWeights(uniform([6, 4])) {
            for row in 0..<6 { #expect(Swift.abs(weights.scalars[row * 3..<row * 3 + 3].reduce(0, +) - 1) < 1e-6) }
        }
    }
}
