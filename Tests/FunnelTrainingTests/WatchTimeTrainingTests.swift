import Foundation
import FunnelData
import FunnelModels
import FunnelSimulation
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// Every watch-time method of watchtime.md on every CTR backbone trains and evaluates end to
/// end: on the KuaiRand 1k sample prepared by the watch-time pipeline (the issue's fixture) and
/// on the simulated world, where CWM's predicted watch time stays within each video's duration.
@Suite struct WatchTimeTrainingTests {
    /// The KuaiRand 1k sample through `funnel data watch-time --no-dates` (every row in train).
    static let sample = Result {
        let path = try SharedData.folder(named: "kuairand-sample") + "/kuairand_1k_sample.csv"
        let log = try WatchTimeLog.read(logs: [path], requireDates: false)
        let preparation = try WatchTimePreparation(log: log, options: .init(unitIsMilliseconds: true, splits: .single))
        let output = NSTemporaryDirectory() + "funnel-kuairand-watchtime-\(UUID().uuidString)"
        _ = try preparation.write(to: output, name: "kuairand-1k-watchtime")
        return output
    }

    /// `(model, label)`: the baselines of §0.5 through `watch-time`, D2Co and CWM.
    static let methods: [(ModelKind, String?)] =
        WatchTimeLabel.Kind.allCases.filter { $0 != .d2co }.map { (.watchTime, $0.rawValue) } + [(.d2co, nil), (.cwm, nil)]

    static func train(
        data: String, _ kind: ModelKind, label: String?, backbone: CTRBackboneKind, evaluationSplit: String, extra: String = ""
    ) throws -> Evaluation {
        var configuration = TrainingConfiguration(data: data, model: kind)
        let labelField = label.map { #""label": "\#($0)", "# } ?? ""
        // The sample holds a few durations with 1–2 records each: D2Co fits those with 2.
        let json = #"{\#(labelField)"backbone": "\#(backbone.rawValue)", "labelOptions": {"d2co": {"minimumRecords": 2}}\#(extra)}"#
        configuration.modelConfiguration = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        configuration.evaluationSplit = evaluationSplit
        configuration.epochs = 2
        configuration.batchSize = 64
        configuration.seed = 5
        configuration.threads = 1
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        return try trainer.train()
    }

    @Test(.needsSharedData, arguments: CTRBackboneKind.allCases)
    func everyMethodTrainsOnTheKuaiRandSample(backbone: CTRBackboneKind) throws {
        let data = try Self.sample.get()
        for (kind, label) in Self.methods {
            let evaluation = try Self.train(data: data, kind, label: label, backbone: backbone, evaluationSplit: "train")
            let name = "\(kind.rawValue) \(label ?? "") on \(backbone.rawValue)"
            #expect(evaluation.primaryMetric == "gauc", "\(name)")
            #expect(evaluation.metrics["auc"]?.isFinite == true, "\(name): auc \(String(describing: evaluation.metrics["auc"]))")
            #expect(evaluation.metrics["ndcg@3"]?.isFinite == true, "\(name)")
            #expect(evaluation.scores.allSatisfy { $0.isFinite }, "\(name)")
            #expect((evaluation.metrics["mae"] != nil) == (kind == .cwm), "\(name): only CWM predicts a watch time")
        }
    }

    @Test func counterfactualPredictionStaysWithinTheDuration() throws {
        let directory = NSTemporaryDirectory() + "funnel-watchtime-cwm-\(UUID().uuidString)"
        let dataset = try ScenarioKind.watchtime.simulatedDataset(users: 300, days: 4, seed: 2, directory: directory)
        let model = try ModelKind.cwm.make(dataset: dataset, configuration: nil, seed: 1)
        let batcher = try model.requirements.batcher(dataset: dataset, split: "test", batchSize: 256, training: false)
        model.train(false)
        let batch = batcher.batch(batcher.batches(epoch: 0)[0])
        let outputs = try model(batch)
        let predicted = try #require(outputs["predicted_watch_time"]).scalars
        let durations = try batch.tensor("duration").scalars
        #expect(predicted.count == batch.size)
        #expect(zip(predicted, durations).allSatisfy { $0 >= 0 && $0 <= $1 })
        // Training mode skips the prediction (the loss needs only the logit).
        model.train(true)
        #expect(try model(batch)["predicted_watch_time"] == nil)
    }

    @Test func fixedMethodsRefuseAnotherLabel() throws {
        let directory = NSTemporaryDirectory() + "funnel-watchtime-refuse-\(UUID().uuidString)"
        let dataset = try ScenarioKind.watchtime.simulatedDataset(users: 50, days: 3, seed: 2, directory: directory)
        #expect {
            try ModelKind.d2co.make(dataset: dataset, configuration: Data(#"{"label": "pcr"}"#.utf8), seed: 1)
        } throws: { "\($0)".contains("modelConfiguration.label") }
        #expect {
            try ModelKind.cwm.make(dataset: dataset, configuration: Data(#"{"label": "d2co"}"#.utf8), seed: 1)
        } throws: { "\($0)".contains("modelConfiguration.label") }
        #expect(throws: Never.self) {
            try ModelKind.d2co.make(dataset: dataset, configuration: Data(#"{"label": "d2co"}"#.utf8), seed: 1)
        }
    }
}
