import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

/// The `eta` backbone of the entire-space network (issue 15: the adapters of entire-space.md
/// §12 on USD's backbone): BASE without its MLP, each head's tower reading what BASE's MLP reads.
@Suite struct EntireSpaceETABackboneTests {
    private static var eta: ETAModel.Configuration {
        var eta = ETAModel.Configuration()
        eta.longLength = 20
        eta.shortLength = 5
        eta.retrieved = 8
        return eta
    }

    private func esmm(_ change: (inout EntireSpaceNetwork.Configuration) -> Void = { _ in }) throws -> ESMM {
        var configuration = ESMM.Configuration()
        configuration.network.backbone = .eta
        configuration.network.eta = Self.eta
        configuration.network.features.label = "user-day.block_click"
        configuration.network.conversionLabel = "click"
        configuration.network.trainOnlyWhere = "user-day.portal_visit"
        configuration.network.evaluation = .clickThroughConversion
        configuration.network.towerHidden = [200, 80]
        change(&configuration.network)
        try configuration.validate()
        return try ESMM(dataset: USDModelTests.dataset, configuration: configuration, seed: 3)
    }

    private func batch(_ model: some FunnelModel) throws -> Batch {
        let requirements = model.requirements
        let batcher = try Batcher(
            dataset: USDModelTests.dataset, split: "train", batchSize: 200, shuffle: false, columns: requirements.columns,
            sequences: requirements.sequences)
        return batcher.batch(batcher.batches(epoch: 0)[0])
    }

    /// With the seed BASE draws from, the backbone holds BASE's parameters but its MLP, so BASE's
    /// MLP over the backbone's representation gives BASE's logits bit for bit.
    @Test func theBackboneIsBASEWithoutItsMLP() throws {
        let model = try esmm()
        var configuration = Self.eta
        configuration.features.label = "user-day.block_click"
        let base = try ETAModel(dataset: USDModelTests.dataset, configuration: configuration, seed: 3)
        let batch = try batch(base)
        let sequence = try #require(model.network.sequence)
        #expect(sequence.tower == nil && sequence.representationWidth == base.tower!.layers[0].weight.shape[1])
        let representation = try withoutGradients { try sequence.representation(batch).parts }
        let through = try withoutGradients { base.tower!(parts: representation).reshaped([batch.size]) }
        #expect(through.scalars == (try withoutGradients { try base.logits(batch) }).scalars)
    }

    /// Both heads train on the backbone: the requirements carry BASE's sequence, the loss is
    /// finite, and gradients reach the item table and both towers.
    @Test func bothHeadsTrainThroughTheBackbone() throws {
        let model = try esmm()
        #expect(model.requirements.sequences["user-day.clicked_items"]?.length == 20)
        #expect(model.requirements.columns.isSuperset(of: ["item", "user-day.clicked_items", "click", "user-day.block_click"]))
        let batch = try batch(model)
        let outputs = try model(batch)
        #expect(outputs["ctr"]?.shape == [batch.size] && outputs["cvr"]?.shape == [batch.size])
        let loss = try model.objective(outputs, batch: batch).tasks.reduce(Tensor(0)) { $0 + $1.loss * $1.weight }
        #expect(loss.scalar.isFinite)
        loss.backward()
        let sequence = try #require(model.network.sequence)
        #expect(sequence.items.table.gradient != nil || sequence.items.table.sparseGradient != nil)
        #expect(model.network.towers.allSatisfy { $0.layers[0].weight.gradient != nil })
        #expect(model.network.foldForInference() == 0, "the eta backbone is not folded")
    }

    @Test func refusesWhatTheBackboneCannotHold() throws {
        #expect {
            _ = try esmm { $0.sharedEmbedding = false }
        } throws: { error in
            "\(error)".contains("network.sharedEmbedding") && "\(error)".contains("'towers' backbone")
        }
        #expect {
            _ = try esmm { $0.eta.retrieved = 0 }
        } throws: { error in
            "\(error)".contains("network.eta.retrieved")
        }
    }
}
