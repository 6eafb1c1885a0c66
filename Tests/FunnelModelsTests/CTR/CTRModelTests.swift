import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

/// The registered CTR models (`fm`, `deepfm`, `autoint`): their configuration's defaults and
/// refusals, and what the registry builds.
@Suite struct CTRModelTests {
    @Test func refusalsNameTheNetworkField() throws {
        let cases: [(ModelKind, String, String)] = [
            (.autoint, #"{"network": {"attentionHeads": 7}}"#,
             "field 'modelConfiguration.network.attentionHeads': 7 heads do not divide modelConfiguration.network.attentionDimensions = 64"),
            (.deepfm, #"{"network": {"dropout": -0.1}}"#, "field 'modelConfiguration.network.dropout': -0.1"),
            (.fm, #"{"network": {"embeddingDimensions": 0}}"#, "field 'modelConfiguration.network.embeddingDimensions': 0"),
            (.deepfm, #"{"network": {"hiddenDimensions": [64, -1]}}"#, "field 'modelConfiguration.network.hiddenDimensions[1]': -1"),
            (.autoint, #"{"network": {"attentionLayers": 0}}"#, "field 'modelConfiguration.network.attentionLayers': 0"),
            (.autoint, #"{"network": {"heads": 4}}"#, "unknown field 'modelConfiguration.network.heads'"),
        ]
        for (kind, configuration, message) in cases {
            #expect {
                try kind.factory.validate(configuration: Data(configuration.utf8))
            } throws: { error in
                "\(error)".contains(message)
            }
        }
        var network = CTRNetworkConfiguration()
        network.attentionHeads = 5
        #expect(throws: (any Error).self) { try network.validate() }
        let dataset = try ModelZooTests.world("funnel")
        var configuration = CTRModel.Configuration()
        configuration.network.dropout = 1
        #expect {
            try CTRModel(dataset: dataset, configuration: configuration, kind: .autoint, seed: 1)
        } throws: { error in
            "\(error)".contains("field 'modelConfiguration.network.dropout': 1.0")
        }
    }

    @Test func missingNetworkFieldsTakeTheirDefaults() throws {
        let strict = try StrictJSON.decode(
            CTRModel.Configuration.self, from: Data(#"{"network": {"attentionHeads": 4}}"#.utf8),
            defaults: CTRModel.Configuration(), context: "modelConfiguration")
        var expected = CTRNetworkConfiguration()
        expected.attentionHeads = 4
        #expect(strict.network == expected)
        // Plain decoding too, for configurations that embed the network without StrictJSON.
        let plain = try JSONDecoder().decode(CTRNetworkConfiguration.self, from: Data(#"{"attentionHeads": 4}"#.utf8))
        #expect(plain == expected)
        #expect(try JSONDecoder().decode(CTRNetworkConfiguration.self, from: Data("{}".utf8)) == CTRNetworkConfiguration())
        let defaults = CTRNetworkConfiguration()
        #expect(defaults.embeddingDimensions == 10 && defaults.dropout == 0.2 && defaults.batchNorm)
        #expect(defaults.resolvedHiddenDimensions(for: .deepfm) == [64, 64, 64])
        #expect(defaults.resolvedHiddenDimensions(for: .autoint) == [64])
        #expect(defaults.resolvedHiddenDimensions(for: .fm) == [])
        var narrow = defaults
        narrow.hiddenDimensions = [8]
        #expect(narrow.resolvedHiddenDimensions(for: .deepfm) == [8])
    }

    @Test(arguments: [(ModelKind.fm, CTRBackboneKind.fm), (.deepfm, .deepfm), (.autoint, .autoint)])
    func registryBuildsItsBackbone(kind: ModelKind, backbone: CTRBackboneKind) throws {
        let dataset = try ModelZooTests.world("funnel")
        let model = try #require(try kind.make(dataset: dataset, configuration: nil, seed: 1) as? CTRModel)
        #expect(model.kind == backbone)
        #expect(kind.summary == backbone.summary)
        // The backbone's parameters are found through the model (the optimizer sees them all).
        #expect(model.namedParameters().map(\.name) == model.backbone.namedParameters().map { "backbone." + $0.name })
        #expect(model.requirements.columns == model.backbone.columns.union(["click"]))
        #expect(model.evaluationTasks.map(\.label) == ["click"])
        let direct = try CTRModel(dataset: dataset, configuration: CTRModel.Configuration(), kind: backbone, seed: 1)
        #expect(direct.parameterCount == model.parameterCount)
    }
}
