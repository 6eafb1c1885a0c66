import Foundation
import FunnelData
import FunnelModels
import FunnelONNX
import FunnelSimulation
import FunnelTensor
import FunnelTestSupport
@testable import FunnelTraining
import Testing

/// The ONNX export of every supported model kind against Funnel itself: each model trains one
/// epoch on a small simulated funnel world, is exported, and onnxruntime's probabilities on
/// 1,000 test rows must match Funnel's forward (σ of each head's logit, and the task products)
/// and the Evaluator's primary scores to 1e-5.
@Suite struct ONNXExportTests {
    /// One simulated funnel world (400 users, 4 days: conversions in the test split), written once.
    static let world = Result { () throws -> String in
        let folder = NSTemporaryDirectory() + "funnel-onnx-world-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ScenarioKind.funnel.simulate(users: 400, days: 4, seed: 8).write(to: folder)
        return folder
    }

    /// A model kind with a small configuration (the backbones covered: towers, shared-bottom,
    /// mmoe, separate embeddings, BatchNorm with dropout, PLE levels, a chained task).
    struct Case: Sendable, CustomTestStringConvertible {
        var kind: ModelKind
        var configuration: String?
        var testDescription: String { kind.rawValue }
    }

    static let cases: [Case] = [
        Case(kind: .logisticRegression, configuration: nil),
        Case(kind: .mlp, configuration: #"{"embeddingDimensions": 4, "hiddenDimensions": [16, 8]}"#),
        Case(kind: .esmm, configuration: #"{"network": {"embeddingDimensions": 4, "towerHidden": [8, 4]}}"#),
        Case(kind: .naiveCVR, configuration: #"{"network": {"embeddingDimensions": 4, "sharedEmbedding": false, "towerHidden": [8]}}"#),
        Case(kind: .chorusCVR, configuration: #"{"network": {"embeddingDimensions": 4, "backbone": "shared-bottom", "sharedHidden": [16], "towerHidden": [8]}}"#),
        Case(kind: .escm2IPW, configuration: #"{"network": {"embeddingDimensions": 4, "backbone": "mmoe", "experts": 3, "expertHidden": [8], "towerHidden": [4]}}"#),
        Case(kind: .escm2DR, configuration: #"{"network": {"embeddingDimensions": 4, "experts": 2, "expertHidden": [8], "towerHidden": [4]}}"#),
        Case(kind: .dcmt, configuration: #"{"network": {"embeddingDimensions": 4, "towerHidden": [8]}}"#),
        Case(kind: .nise, configuration: #"{"network": {"embeddingDimensions": 4, "towerHidden": [8]}}"#),
        Case(kind: .sharedBottom, configuration: #"{"embeddingDimensions": 4, "bottomHidden": [16, 8], "towerHidden": [8]}"#),
        Case(kind: .mmoe, configuration: #"{"embeddingDimensions": 4, "experts": 3, "expertHidden": [16, 8], "towerHidden": [8]}"#),
        Case(kind: .ple, configuration: #"""
            {"embeddingDimensions": 4, "sharedExperts": 2, "taskExperts": 1, "levelWidths": [16, 8], "towerHidden": [8],
             "tasks": [{"name": "ctr", "label": "click"}, {"name": "ctcvr", "label": "conversion", "chainedOn": "ctr"}]}
            """#),
    ]

    /// Trains `kind` on the simulated world.
    static func trained(_ testCase: Case) throws -> TrainedModel {
        try ONNXParity.trained(testCase.kind, data: try world.get(), configuration: testCase.configuration)
    }

    @Test(arguments: cases)
    func matchesFunnelInOnnxruntime(testCase: Case) throws {
        try ONNXParity.expectParity(try Self.trained(testCase))
    }

    @Test func writesAModelThatParsesBackWithTheContract() throws {
        let trained = try Self.trained(Self.cases[2])  // esmm
        let folder = try ONNXParity.temporaryFolder()
        let summary = try ONNXExport.write(trained, to: folder + "/esmm.onnx")
        #expect(summary.vocabularyPath == folder + "/esmm.vocabulary.json")

        let model = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: folder + "/esmm.onnx")))
        #expect(model.irVersion == 8)
        #expect(model.opsetImport.map(\.version) == [17] && model.opsetImport[0].domain.isEmpty)
        let network = try #require((trained.model as? ESMM)?.network)
        let categorical = network.inputs[0].categorical
        let dense = network.inputs[0].dense
        #expect(model.graph.input.map(\.name) == categorical + (dense.isEmpty ? [] : ["dense"]))
        for input in model.graph.input {
            let type = input.type.tensorType
            #expect(type.shape.dim.first?.dimParam == "N")
            if input.name == "dense" {
                #expect(type.elemType == 1 && type.shape.dim.count == 2 && type.shape.dim[1].dimValue == Int64(dense.count))
            } else {
                #expect(type.elemType == 7 && type.shape.dim.count == 1)
            }
        }
        #expect(model.graph.output.map(\.name) == ["ctr", "cvr", "ctcvr"])
        #expect(model.graph.output.allSatisfy { $0.type.tensorType.elemType == 1 && $0.type.tensorType.shape.dim.count == 1 })
        #expect(try ONNXExport.readModel(folder + "/esmm.onnx") == model)

        // The vocabulary file: every categorical input, with what a client needs to map it.
        let vocabulary = try JSONDecoder().decode(ONNXVocabularyFile.self, from: Data(contentsOf: URL(fileURLWithPath: summary.vocabularyPath)))
        #expect(vocabulary.inputs.map(\.input) == categorical)
        #expect(vocabulary.dense == dense && vocabulary.outOfVocabularyID == 0 && vocabulary.model == "esmm")
        for input in vocabulary.inputs {
            let table = try #require(trained.dataset.vocabulary(for: input.vocabularyOf))
            #expect(input.size == table.size, "\(input.input)")
            if input.kind == "built" {
                let keys = try #require(input.keys, "\(input.input): a built vocabulary without keys")
                #expect(keys.count == table.keys.count)
                for (index, key) in table.keys.prefix(20).enumerated() { #expect(keys[String(key)] == Int32(index + 1)) }
            }
        }
    }

    /// Feature models outside the supported kinds (their graphs have operators the exporter does
    /// not write: factorisation-machine interactions, EKTM's router).
    @Test(arguments: [ModelKind.deepfm, .ektm])
    func refusesUnsupportedKinds(kind: ModelKind) throws {
        var configuration = TrainingConfiguration(data: try Self.world.get(), model: kind)
        configuration.epochs = 1
        configuration.threads = 1
        let model = try kind.make(dataset: try Dataset.load(configuration.data), configuration: nil, seed: 0)
        let trained = TrainedModel(model: model, dataset: try Dataset.load(configuration.data), configuration: configuration, checkpoint: "memory", step: 0)
        #expect {
            try ONNXExport.export(trained)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("'\(kind.rawValue)'") && message.contains("supported kinds: logistic-regression, mlp")
        }
    }
}
