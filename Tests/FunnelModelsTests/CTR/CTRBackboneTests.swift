import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

/// watchtime.md §0.3 backbones: the FM logit against an explicit double loop, DeepFM as FM plus
/// its MLP, AutoInt's shapes, gradients and single-field attention, seeded determinism.
@Suite struct CTRBackboneTests {
    static func batch(columns: Set<String>, size: Int = 64) throws -> Batch {
        let dataset = try ModelZooTests.world("funnel")
        let batcher = try Batcher(dataset: dataset, split: "train", batchSize: size, shuffle: false, columns: columns)
        var random = RandomGenerator(seed: 1)
        return batcher.batch(batcher.batches(epoch: 0)[0], random: &random)
    }

    /// Overwrites a parameter with values drawn uniformly from `-scale ... scale`.
    static func randomise(_ tensor: Tensor, scale: Float, seed: UInt64) {
        var random = RandomGenerator(seed: seed)
        tensor.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] = Float.random(in: -scale...scale, using: &random) }
        }
    }

    static func copy(_ source: Tensor, into target: Tensor) {
        let values = source.scalars
        target.withUnsafeMutableBufferPointer { target in
            for index in target.indices { target[index] = values[index] }
        }
    }

    @Test(arguments: [nil, ["true_ctr"]] as [[String]?])
    func factorizationMachineMatchesTheExplicitPairSum(dense: [String]?) throws {
        let dataset = try ModelZooTests.world("funnel")
        var generator = RandomGenerator(seed: 7)
        let model = try FactorizationMachineModel(
            dataset: dataset, features: FeatureSelection(dense: dense), network: CTRNetworkConfiguration(), generator: &generator)
        let input = model.input
        let embedding = try #require(input.embedding)
        let weights = try #require(input.firstOrder.weights)
        // Values of order one, so that every term weighs in the comparison.
        Self.randomise(embedding.tables[0].table, scale: 0.5, seed: 1)
        Self.randomise(weights.tables[0].table, scale: 1, seed: 2)
        Self.randomise(input.firstOrder.bias, scale: 1, seed: 3)
        if let denseWeights = input.firstOrder.denseWeights { Self.randomise(denseWeights.weight, scale: 1, seed: 4) }
        #expect(input.dense == (dense ?? []))

        let batch = try Self.batch(columns: model.columns)
        let logits = try model.logits(batch)
        #expect(logits.shape == [batch.size])

        let table = embedding.tables[0].table.scalars
        let firstOrder = weights.tables[0].table.scalars
        let denseWeights = input.firstOrder.denseWeights?.weight.scalars ?? []
        let dimensions = embedding.dimensions
        let ids = try batch.idMatrix(input.categorical)
        let fields = input.categorical.count
        for row in 0..<batch.size {
            let tableRows = (0..<fields).map { Int(embedding.offsets[$0]) + Int(ids[row * fields + $0]) }
            var expected = Double(input.firstOrder.bias.scalars[0])
            for tableRow in tableRows { expected += Double(firstOrder[tableRow]) }
            for (column, name) in input.dense.enumerated() {
                expected += Double(denseWeights[column]) * Double(batch.floats[name]![row])
            }
            for first in 0..<fields {
                for second in (first + 1)..<fields {
                    for dimension in 0..<dimensions {
                        expected += Double(table[tableRows[first] * dimensions + dimension])
                            * Double(table[tableRows[second] * dimensions + dimension])
                    }
                }
            }
            let found = Double(logits.scalars[row])
            #expect(abs(found - expected) <= 1e-5 * max(1, abs(expected)), "row \(row): \(found) against \(expected)")
        }
    }

    @Test func deepFMWithoutItsMLPOutputIsTheFactorizationMachine() throws {
        let dataset = try ModelZooTests.world("funnel")
        let network = CTRNetworkConfiguration()
        var generator = RandomGenerator(seed: 3)
        let deep = try DeepFM(dataset: dataset, features: FeatureSelection(), network: network, generator: &generator)
        let machine = try FactorizationMachineModel(
            dataset: dataset, features: FeatureSelection(), network: network, generator: &generator)
        Self.randomise(deep.input.firstOrder.weights!.tables[0].table, scale: 1, seed: 5)
        Self.randomise(deep.input.firstOrder.bias, scale: 1, seed: 6)
        for ((name, source), (_, target)) in zip(deep.input.namedParameters(), machine.input.namedParameters()) {
            #expect(source.shape == target.shape, "\(name)")
            Self.copy(source, into: target)
        }
        let batch = try Self.batch(columns: deep.columns)
        #expect(try deep.logits(batch).scalars != machine.logits(batch).scalars, "the MLP adds to the logit")

        let output = try #require(deep.tower.output)
        for tensor in [output.weight, output.bias!] { Self.copy(Tensor.zeros(tensor.shape), into: tensor) }
        for training in [true, false] {
            deep.train(training)
            machine.train(training)
            #expect(try deep.logits(batch).scalars == machine.logits(batch).scalars, "training \(training)")
        }
    }

    @Test func autoIntGivesOneLogitPerRowAndTrainsEveryParameter() throws {
        let dataset = try ModelZooTests.world("funnel")
        var generator = RandomGenerator(seed: 11)
        let model = try AutomaticFeatureInteractionModel(
            dataset: dataset, features: FeatureSelection(dense: ["true_ctr"]), network: CTRNetworkConfiguration(),
            generator: &generator)
        #expect(model.attentionLayers.count == 1 && model.attentionLayers[0].heads == 8)
        #expect(model.tower.layers.map(\.outputDimensions) == [64] && model.tower.batchNorms.count == 1)
        #expect(model.randomLayers().count == 2, "the MLP's dropout and the attention weights' dropout")
        let batch = try Self.batch(columns: model.columns.union(["click"]))
        let logits = try model.logits(batch)
        #expect(logits.shape == [batch.size])
        Losses.binaryCrossEntropy(logits: logits, labels: try batch.tensor("click")).backward()
        let parameters = model.namedParameters()
        #expect(parameters.count >= 20)
        for (name, parameter) in parameters {
            let dense = parameter.gradient?.scalars ?? []
            let sparse = parameter.sparseGradient?.values ?? []
            #expect((dense + sparse).contains { $0 != 0 }, "\(name) gets no gradient")
        }
    }

    /// With one field, softmax over one key is 1: the attention output is the output projection
    /// of the value projection, whatever the queries and keys.
    @Test(arguments: [["item"], ["user", "item"]])
    func oneFieldAttendsToItsOwnValue(fields: [String]) throws {
        let dataset = try ModelZooTests.world("funnel")
        var generator = RandomGenerator(seed: 13)
        let model = try AutomaticFeatureInteractionModel(
            dataset: dataset, features: FeatureSelection(categorical: fields), network: CTRNetworkConfiguration(),
            generator: &generator)
        model.train(false)
        let batch = try Self.batch(columns: model.columns)
        let encoded = try model.input(batch)
        let embeddings = try #require(encoded.embeddings)
        let layer = model.attentionLayers[0]
        let projected = model.attentionEmbedding(embeddings)
        let attended = layer.outputProjection!(layer.valueProjection(projected)) + model.residual!(embeddings)
        let interaction = model.attentionOutput(attended.relu().reshaped([batch.size, -1])).reshaped([batch.size])
        let expected = encoded.firstOrder + interaction + model.tower(encoded.flattened).reshaped([batch.size])
        let found = try model.logits(batch)
        let largest = zip(found.scalars, expected.scalars).map { abs($0 - $1) }.max()!
        if fields.count == 1 {
            #expect(largest <= 1e-5)
        } else {
            #expect(largest > 1e-3, "two fields mix their values: the check can tell")
        }
    }

    @Test func autoIntRefusesASelectionWithoutFields() throws {
        let dataset = try ModelZooTests.world("funnel")
        var generator = RandomGenerator(seed: 1)
        #expect {
            try AutomaticFeatureInteractionModel(
                dataset: dataset, features: FeatureSelection(categorical: [], dense: ["true_ctr"]),
                network: CTRNetworkConfiguration(), generator: &generator)
        } throws: { error in
            "\(error)".contains("AutoInt attends over categorical fields")
        }
    }

    @Test(arguments: CTRBackboneKind.allCases)
    func sameSeedGivesBitIdenticalLogits(kind: CTRBackboneKind) throws {
        let dataset = try ModelZooTests.world("funnel")
        func logits(seed: UInt64, training: Bool) throws -> [Float] {
            var generator = RandomGenerator(seed: seed)
            let backbone = try kind.make(
                dataset: dataset, features: FeatureSelection(), network: CTRNetworkConfiguration(), generator: &generator)
            backbone.train(training)
            for layer in backbone.randomLayers() { layer.reseed(17) }
            return try backbone.logits(try Self.batch(columns: backbone.columns)).scalars
        }
        for training in [true, false] {
            let first = try logits(seed: 5, training: training)
            #expect(first == (try logits(seed: 5, training: training)), "\(kind), training \(training)")
            #expect(first != (try logits(seed: 6, training: training)), "\(kind), training \(training)")
        }
    }
}
