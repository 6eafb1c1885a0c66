import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor
import Testing

/// Every model of the registry builds on the simulated world its ``ModelFixture`` names, maps a
/// batch to the outputs its evaluation tasks score, and its objective falls while it overfits
/// one batch (the swift-models DLRM test's pattern). Models are found through the registry
/// only: a new model is tested here by its registry line.
@Suite struct ModelZooTests {
    /// One small world per scenario, simulated once.
    static let worlds: [String: Result<Dataset, any Error>] = Dictionary(uniqueKeysWithValues: ScenarioKind.allCases.map { kind in
        (kind.rawValue, Result {
            try kind.simulatedDataset(
                users: 300, days: 4, seed: 3, directory: NSTemporaryDirectory() + "funnel-models-\(kind.rawValue)-\(UUID().uuidString)")
        })
    })

    static func world(_ name: String) throws -> Dataset {
        let world = try #require(worlds[name], "no simulated world '\(name)' (worlds: \(worlds.keys.sorted()))")
        return try world.get()
    }

    /// The world a model's fixture names, with what the fixture writes beside it (its
    /// `prepare`) done first.
    static func world(for kind: ModelKind) throws -> Dataset {
        let fixture = kind.factory.fixture
        let dataset = try world(fixture.world)
        try fixture.prepare?(dataset)
        return dataset
    }

    @Test(arguments: ModelKind.allCases)
    func overfitsOneBatch(kind: ModelKind) throws {
        let fixture = kind.factory.fixture
        let dataset = try Self.world(for: kind)
        let model = try kind.make(dataset: dataset, configuration: fixture.configuration.map { Data($0.utf8) }, seed: 1)
        let requirements = model.requirements
        try requirements.check(dataset, model: kind.rawValue)
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: 256, shuffle: false, columns: requirements.columns,
            sequences: requirements.sequences, negativeSampling: requirements.negativeSampling)
        var random = RandomGenerator(seed: 1)
        let batch = batcher.batch(batcher.batches(epoch: 0)[0], random: &random)
        model.train(false)
        let outputs = try withoutGradients { try model(batch) }
        model.train(true)
        for task in model.evaluationTasks {
            for name in task.outputs { #expect(outputs[name]?.shape.first == 256, "\(kind.rawValue): output '\(name)'") }
        }
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: 0.02))
        var losses: [Float] = []
        for _ in 0..<60 {
            let objective = try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil)
            #expect(objective.loggedValues["loss"] != nil)
            losses.append(objective.total.scalar)
        }
        #expect(losses.last! < losses.first! * 0.7, "\(kind.rawValue): \(losses.first!) → \(losses.last!)")
    }

    @Test func missingLabelIsRefusedByName() throws {
        let dataset = try Self.world("funnel")
        let configuration = Data(#"{"features": {"label": "purchase"}}"#.utf8)
        #expect {
            try ModelKind.mlp.make(dataset: dataset, configuration: configuration, seed: 1)
        } throws: { error in
            "\(error)".contains("no column 'purchase'")
        }
    }

    @Test func unknownConfigurationFieldIsRefused() throws {
        let dataset = try Self.world("funnel")
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

    @Test func everyRegistryLineHasASummaryAndDecodableDefaults() throws {
        for kind in ModelKind.allCases {
            #expect(!kind.summary.isEmpty)
            let dataset = try Self.world(for: kind)
            // The printed defaults decode back strictly (no field the decoder does not know).
            _ = try kind.make(dataset: dataset, configuration: Data(kind.defaultConfiguration.utf8), seed: 1)
        }
    }
}
