import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// The MLP's entry points agree: its input given in parts, and the network continued from a
/// first-layer output computed elsewhere (DIN's fused first layer).
@Suite struct MLPTests {
    private func network(_ activation: Activation, layerNorm: Bool = false) -> MLP {
        var generator = RandomGenerator(seed: 7)
        return MLP(
            inputDimensions: 5, hiddenDimensions: [6, 4], outputDimensions: 1, activation: activation,
            layerNorm: layerNorm, generator: &generator)
    }

    @Test(arguments: [Activation.relu, .sigmoid])
    func partsEqualTheirConcatenation(activation: Activation) {
        let mlp = network(activation)
        let (left, right) = (uniform([3, 2], seed: 1), uniform([3, 3], seed: 2))
        expectClose(mlp(parts: [left, right]).scalars, mlp(Tensor.concatenated([left, right], alongAxis: 1)).scalars)
    }

    // ReLU (fused into the later layers' bias pass), sigmoid, and a normalisation between.
    @Test(arguments: [(Activation.relu, false), (.sigmoid, false), (.relu, true)])
    func continuingFromTheFirstLayerEqualsTheWholeNetwork(configuration: (Activation, Bool)) {
        let mlp = network(configuration.0, layerNorm: configuration.1)
        let input = uniform([4, 5], seed: 3)
        let first = Tensor.linear(input, weight: mlp.layers[0].weight, bias: mlp.layers[0].bias!)
        expectClose(mlp(afterFirstLayer: first).scalars, mlp(input).scalars)
    }
}
