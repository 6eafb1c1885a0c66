import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor
import Testing

/// Every model of the registry builds on a simulated dataset, maps a batch to `[batch]` logits,
/// and its loss falls while it overfits one batch (the swift-models DLRM test's pattern).
@Suite struct ModelZooTests {
    static let folder: String = {
        let path = NSTemporaryDirectory() + "funnel-models-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try! ScenarioKind.funnel.simulate(users: 300, days: 4, seed: 3).write(to: path)
        return path
    }()

    /// USD's models read the homepage world's behaviours and user-day labels; short sequences
    /// keep the test quick.
    static let homepageModels: [ModelKind: String] = [
        .base: #"{"longLength": 20, "shortLength": 5, "retrieved": 8}"#,
        .usd: #"{"base": {"longLength": 20, "shortLength": 5, "retrieved": 8}}"#,
    ]

    @Test(arguments: ModelKind.allCases)
    func overfitsOneBatch(kind: ModelKind) throws {
        let homepage = Self.homepageModels[kind]
        let dataset = homepage == nil ? try Dataset.load(Self.folder) : USDModelTests.dataset
        let model = try kind.make(dataset: dataset, configuration: homepage.map { Data($0.utf8) }, seed: 1)
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: 256, shuffle: false, columns: model.columns,
            sequences: model.sequencePolicies)
        let batch = batcher.batch(batcher.batches(epoch: 0)[0])
        let outputs = try model(batch)
        #expect(outputs[model.primaryOutput]?.shape == [256])
        let optimizer = Adam(parameters: model.parameters(), learningRate: 0.02)
        var losses: [Float] = []
        for _ in 0..<60 {
            let (loss, logs) = try model.loss(try model(batch), batch: batch)
            #expect(logs["loss"] != nil)
            losses.append(loss.scalar)
            loss.backward()
            optimizer.step()
        }
        #expect(losses.last! < losses.first! * 0.7, "\(kind.rawValue): \(losses.first!) → \(losses.last!)")
    }

    @Test func missingLabelIsRefusedByName() throws {
        let dataset = try Dataset.load(Self.folder)
        let configuration = Data(#"{"features": {"label": "purchase"}}"#.utf8)
        #expect {
            try ModelKind.mlp.make(dataset: dataset, configuration: configuration, seed: 1)
        } throws: { error in
            "\(error)".contains("no column 'purchase'")
        }
    }

    @Test func unknownConfigurationFieldIsRefused() throws {
        let dataset = try Dataset.load(Self.folder)
        #expect {
            try ModelKind.mlp.make(dataset: dataset, configuration: Data(#"{"hiddenDimension": [8]}"#.utf8), seed: 1)
        } throws: { error in
            "\(error)".contains("unknown field 'modelConfiguration.hiddenDimension'")
        }
        #expect {
            try ModelKind.mlp.make(dataset: dataset, configuration: Data(#"{"embeddingDimensions": "wide"}"#.utf8), seed: 1)
        } throws: { error in
            "\(error)".contains("field 'modelConfiguration.embeddingDimensions': expected Int")
        }
    }
}
