import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

/// The entire-space network folded for inference: the same scores to rounding, folds dropped
/// by training, none for the mixture backbone.
@Suite struct EntireSpaceNetworkTests {
    private func network(_ backbone: EntireSpaceNetwork.Configuration.Backbone, shared: Bool = true) throws -> EntireSpaceNetwork {
        var configuration = EntireSpaceNetwork.Configuration(embeddingDimensions: 4, backbone: backbone, towerHidden: [8])
        configuration.sharedEmbedding = shared
        return try EntireSpaceNetwork(
            dataset: EntireSpaceOracle.dataset, configuration: configuration, heads: ["ctr", "cvr"], seed: 9)
    }

    private func batch(_ network: EntireSpaceNetwork) throws -> Batch {
        let batcher = try Batcher(
            dataset: EntireSpaceOracle.dataset, split: "train", batchSize: 64, shuffle: false, columns: network.columns)
        return batcher.batch(batcher.batches(epoch: 0)[0])
    }

    private func scores(_ network: EntireSpaceNetwork, _ batch: Batch) throws -> [[Float]] {
        network.train(false)
        return try withoutGradients { try network(batch) }.sorted { $0.key < $1.key }.map(\.value.scalars)
    }

    @Test(arguments: [(EntireSpaceNetwork.Configuration.Backbone.towers, true), (.towers, false), (.sharedBottom, true)])
    func foldedScoresAreTheUnfoldedOnes(backbone: EntireSpaceNetwork.Configuration.Backbone, shared: Bool) throws {
        let network = try network(backbone, shared: shared)
        let batch = try batch(network)
        let unfolded = try scores(network, batch)
        #expect(network.foldForInference(budget: 1 << 30) > 0)
        for (folded, plain) in zip(try scores(network, batch), unfolded) { expectClose(folded, plain, tolerance: 1e-4) }

        // A forward pass in training drops the folds: the scores are the unfolded ones again, bit for bit.
        network.train()
        _ = try network(batch)
        #expect(try scores(network, batch) == unfolded)
    }

    @Test func foldsAreASnapshotOfTheParameters() throws {
        let network = try network(.towers)
        let batch = try batch(network)
        network.foldForInference(budget: 1 << 30)
        let folded = try scores(network, batch)
        // Every field is folded: a changed table does not reach the scores until the next fold.
        let table = try #require(network.inputs[0].embedding).tables[0].table
        table.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] *= 2 }
        }
        #expect(try scores(network, batch) == folded)
        network.train()
        _ = try network(batch)
        let changed = try scores(network, batch)
        #expect(changed != folded)
        network.foldForInference(budget: 1 << 30)
        for (refolded, plain) in zip(try scores(network, batch), changed) { expectClose(refolded, plain, tolerance: 1e-4) }
    }

    @Test func noFieldFitsNoFold() throws {
        let network = try network(.towers)
        #expect(network.foldForInference(budget: 0) == 0)
        #expect(try self.network(.mixtureOfExperts).foldForInference(budget: 1 << 30) == 0)
    }
}
