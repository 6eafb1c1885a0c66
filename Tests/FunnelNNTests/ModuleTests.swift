import FunnelTensor
import Testing

@testable import FunnelNN

private final class TwoTowers: Module {
    let embedding: Embedding
    let ctrTower: MLP
    let cvrTower: MLP
    let scale = Tensor([1])  // a constant buffer: not a parameter

    init(generator: inout RandomGenerator) {
        embedding = Embedding(count: 10, dimensions: 4, generator: &generator)
        ctrTower = MLP(inputDimensions: 4, hiddenDimensions: [3], outputDimensions: 1, dropout: 0.5, generator: &generator)
        cvrTower = MLP(inputDimensions: 4, hiddenDimensions: [3], outputDimensions: 1, generator: &generator)
        super.init()
    }
}

@Suite struct ModuleTests {
    @Test func parametersAreNamedByTheirPath() {
        var generator = RandomGenerator(seed: 1)
        let model = TwoTowers(generator: &generator)
        #expect(model.namedParameters().map(\.name) == [
            "embedding.table",
            "ctrTower.layers.0.weight", "ctrTower.layers.0.bias", "ctrTower.output.weight", "ctrTower.output.bias",
            "cvrTower.layers.0.weight", "cvrTower.layers.0.bias", "cvrTower.output.weight", "cvrTower.output.bias",
        ])
        #expect(model.namedTensors().contains { $0.name == "scale" })
        #expect(model.parameterCount == 40 + 2 * (12 + 3 + 3 + 1))
    }

    @Test func sameSeedSameModel() {
        var first = RandomGenerator(seed: 7)
        var second = RandomGenerator(seed: 7)
        let left = TwoTowers(generator: &first).parameters().map(\.scalars)
        let right = TwoTowers(generator: &second).parameters().map(\.scalars)
        #expect(left == right)
    }

    @Test func evaluationModeTurnsDropoutOff() {
        var generator = RandomGenerator(seed: 1)
        let model = TwoTowers(generator: &generator)
        let input = Tensor.ones([64, 4])
        model.train(false)
        #expect(!model.ctrTower.dropouts[0].isTraining)
        #expect(model.ctrTower(input).scalars == model.ctrTower(input).scalars)
        model.train()
        #expect(model.ctrTower(input).scalars != model.ctrTower(input).scalars)
    }

    /// A step's seed decides every dropout mask: the same seed gives the same masks (a resumed
    /// run draws what the uninterrupted one drew), and each layer mixes in its own seed.
    @Test func reseedingMakesDropoutMasksAFunctionOfTheStep() {
        var generator = RandomGenerator(seed: 1)
        let model = TwoTowers(generator: &generator)
        let input = Tensor.ones([64, 4])
        let layers = model.randomLayers()
        #expect(layers.count == model.namedModules().filter { $0.module is Dropout }.count && !layers.isEmpty)
        for layer in layers { layer.reseed(42) }
        let first = model.ctrTower(input).scalars
        _ = model.ctrTower(input)
        for layer in layers { layer.reseed(42) }
        #expect(model.ctrTower(input).scalars == first)
        for layer in layers { layer.reseed(43) }
        #expect(model.ctrTower(input).scalars != first)
    }
}
