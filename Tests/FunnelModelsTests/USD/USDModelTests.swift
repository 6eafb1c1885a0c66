import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor
import FunnelTestSupport
import Testing

/// entire-space.md §10's oracles and the sampler, on a small simulated homepage.
@Suite struct USDModelTests {
    static let dataset: Dataset = {
        let path = NSTemporaryDirectory() + "funnel-usd-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try! ScenarioKind.homepage.simulate(users: 400, days: 5, seed: 6, knobs: ["items": "100"]).write(to: path)
        return try! Dataset.load(path)
    }()

    static func model(_ change: (inout USDModel.Configuration) -> Void = { _ in }) throws -> USDModel {
        var configuration = USDModel.Configuration()
        configuration.base.longLength = 20
        configuration.base.shortLength = 5
        configuration.base.retrieved = 8
        change(&configuration)
        return try USDModel(dataset: dataset, configuration: configuration, seed: 3)
    }

    func logits(_ probabilities: [Double]) -> Tensor {
        Tensor(shape: [probabilities.count], scalars: probabilities.map { p in
            p <= 0 ? -40 : p >= 1 ? 40 : Float(Foundation.log(p / (1 - p)))
        }, requiresGradient: true)
    }

    @Test func weightOracle() throws {
        let model = try Self.model()
        let five = Tensor([1, 1, 1, 1, 1])
        let portal = model.dualWeights(
            portalLogits: logits([0, 0.5, 0.8, 0.95, 0.99]), blockLogits: Tensor([0, 0, 0, 0, 0]), portalRows: five,
            blockRows: Tensor([0, 0, 0, 0, 0]), inSample: five)
        expectClose(portal.scalars, [1, 2, 5, 15, 15], tolerance: 1e-4)
        let four = Tensor([1, 1, 1, 1])
        let block = model.dualWeights(
            portalLogits: Tensor([0, 0, 0, 0]), blockLogits: logits([1, 0.5, 0.1, 0.05]), portalRows: Tensor([0, 0, 0, 0]),
            blockRows: four, inSample: four)
        expectClose(block.scalars, [1, 2, 10, 15], tolerance: 1e-4)
    }

    @Test func lossOracle() throws {
        // A block user (ŷ_b = 0.5) with y = [1, 0], ŷ = [0.6, 0.3]; a portal user (ŷ_p = 0.8)
        // with y = [0, 0], ŷ = [0.2, 0.1].
        let model = try Self.model()
        let inSample = Tensor([1, 1, 1, 1])
        let blockRows = Tensor([1, 1, 0, 0])
        let portalRows = Tensor([0, 0, 1, 1])
        let weights = model.dualWeights(
            portalLogits: logits([0.5, 0.5, 0.8, 0.8]), blockLogits: logits([0.5, 0.5, 0.5, 0.5]), portalRows: portalRows,
            blockRows: blockRows, inSample: inSample)
        let clicks = logits([0.6, 0.3, 0.2, 0.1])
        let labels = Tensor([1, 0, 0, 0])
        let loss = USDModel.weightedClickLoss(logits: clicks, labels: labels, weights: weights, inSample: inSample)
        expectClose([loss.scalar], [0.844380])
        let plain = USDModel.weightedClickLoss(logits: clicks, labels: labels, weights: Tensor([1, 1, 1, 1]), inSample: inSample)
        expectClose([plain.scalar], [0.299001])
        // |B'| counts the sampled rows only: a fifth, unsampled row changes nothing.
        let padded = USDModel.weightedClickLoss(
            logits: logits([0.6, 0.3, 0.2, 0.1, 0.9]), labels: Tensor([1, 0, 0, 0, 0]), weights: Tensor([2, 2, 5, 5, 7]),
            inSample: Tensor([1, 1, 1, 1, 0]))
        expectClose([padded.scalar], [0.844380])
    }

    @Test func ablationsSwitchTheWeightsOff() throws {
        let rows = Tensor([1, 1])
        for (change, expected) in [
            ({ (c: inout USDModel.Configuration) in c.portalWeighting = false; c.blockWeighting = false }, [Float(1), 1]),
            ({ (c: inout USDModel.Configuration) in c.portalWeighting = false }, [1, 10]),
            ({ (c: inout USDModel.Configuration) in c.blockWeighting = false }, [5, 1]),
        ] {
            let model = try Self.model(change)
            let weights = model.dualWeights(
                portalLogits: logits([0.8, 0.8]), blockLogits: logits([0.1, 0.1]), portalRows: Tensor([1, 0]),
                blockRows: Tensor([0, 1]), inSample: rows)
            expectClose(weights.scalars, expected, tolerance: 1e-4)
        }
    }

    @Test func noGradientReachesTheIntentModuleThroughTheWeights() throws {
        var configuration: (inout USDModel.Configuration) -> Void = { _ in }
        configuration = { $0.portalLossWeight = 0; $0.blockLossWeight = 0 }
        let model = try Self.model(configuration)
        let batch = try Self.batch(for: model)
        let objective = try model.objective(try model(batch), batch: batch)
        let (loss, logs) = (objective.total, objective.loggedValues)
        loss.backward()
        #expect(logs["portal_weight_mean"]! >= 1 && logs["block_weight_mean"]! >= 1)
        let intent = model.intent.parameters()
        #expect(intent.allSatisfy { denseGradient(of: $0).allSatisfy { $0 == 0 } })
        #expect(model.base.parameters().contains { denseGradient(of: $0).contains { $0 != 0 } })
        // With α, β > 0 the auxiliary losses do train the intent module.
        let trained = try Self.model()
        let full = try trained.objective(try trained(batch), batch: batch).total
        full.backward()
        #expect(trained.intent.parameters().contains { denseGradient(of: $0).contains { $0 != 0 } })
    }

    @Test func samplerKeepsPortalVisitorsAndRecentVisitors() throws {
        let model = try Self.model()
        let kept = try #require(model.requirements.rowSampler).rows(in: Self.dataset, split: "train")
        let portal = try Self.dataset.rowValues(split: "train", column: "user-day.portal_visit")
        let recent = try Self.dataset.rowValues(split: "train", column: "user-day.recent_portal")
        #expect(kept == zip(portal, recent).map { $0 == 1 || $1 == 1 })
        #expect(kept.contains(false) && portal.contains(1))
        let clickSampled = try #require(try Self.model { $0.sampler = .blockClick }.requirements.rowSampler).rows(in: Self.dataset, split: "train")
        let block = try Self.dataset.rowValues(split: "train", column: "user-day.block_click")
        #expect(clickSampled == zip(block, recent).map { $0 == 1 || $1 == 1 })
        #expect(try Self.model { $0.sampler = .none }.requirements.rowSampler == nil)
    }

    static func batch(for model: some FunnelModel) throws -> Batch {
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: 128, shuffle: false, columns: model.requirements.columns,
            sequences: model.requirements.sequences)
        return batcher.batch(batcher.batches(epoch: 0)[0])
    }
}
