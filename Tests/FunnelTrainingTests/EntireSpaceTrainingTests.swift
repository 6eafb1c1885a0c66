import Foundation
import FunnelData
import FunnelModels
import FunnelSimulation
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// The entire-space CVR family through the runner: every model trains on the Ali-CCP and
/// AliExpress samples, and evaluation scores the four protocols of entire-space.md §1.
@Suite struct EntireSpaceTrainingTests {
    static let family: [ModelKind] = [.naiveCVR, .esmm, .escm2IPW, .escm2DR, .dcmt, .nise, .chorusCVR]

    /// A kept real set converted once into a temporary folder.
    static func converted(_ format: DatasetFormat) throws -> String {
        let output = NSTemporaryDirectory() + "funnel-family-\(format.rawValue)-\(UUID().uuidString)"
        try DatasetConverter.convert(format, source: try SharedData.folder(named: format.sharedFolder!), output: output)
        return output
    }

    static let aliCCP = Result { try converted(.aliCCP) }
    static let aliExpress = Result { try converted(.aliExpress) }

    @Test(.needsSharedData, arguments: family)
    func trainsOnTheRealSamples(kind: ModelKind) throws {
        for folder in [try Self.aliCCP.get(), try Self.aliExpress.get()] {
            var configuration = TrainingConfiguration(data: folder, model: kind)
            configuration.epochs = 2
            configuration.batchSize = 16
            configuration.threads = 1
            let trainer = try Trainer(configuration: configuration)
            trainer.logsEvaluations = false
            let evaluation = try trainer.train()
            #expect(trainer.state.curve.allSatisfy { $0.loss.isFinite }, "\(kind.rawValue) on \(folder)")
            let test = try trainer.dataset.split("test")
            let clicks = try Batcher(dataset: trainer.dataset, split: "test", batchSize: test.rowCount, shuffle: false, columns: ["click"])
            let clicked = try clicks.batch(clicks.batches(epoch: 0)[0]).tensor("click").sum().scalar
            #expect(evaluation.metrics["ctcvr_rows"] == Double(test.rowCount))
            #expect(evaluation.metrics["cvr_clicked_rows"] == Double(clicked))
            #expect(evaluation.metrics["ctr_rows"] == Double(test.rowCount))
            #expect(evaluation.primaryMetric == "ctcvr_auc")
            #expect(evaluation.scores.allSatisfy { $0 > 0 && $0 < 1 })
        }
    }

    @Test func simulatedFunnelIsJudgedByTheEntireSpaceTruth() throws {
        let folder = NSTemporaryDirectory() + "funnel-family-simulated-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ScenarioKind.funnel.simulate(users: 400, days: 4, seed: 8).write(to: folder)
        var configuration = TrainingConfiguration(data: folder, model: .esmm)
        configuration.batchSize = 128
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        let evaluation = try trainer.train()
        // CVR@D is judged by the true pCVR of every exposure; CVR@O has no truth.
        #expect(evaluation.metrics["cvr_entire_truth_auc"] != nil && evaluation.metrics["cvr_clicked_truth_auc"] == nil)
        #expect(evaluation.metrics["ctcvr_truth_auc"] != nil && evaluation.metrics["ctr_truth_auc"] != nil)
        #expect(evaluation.protocolDescription.contains { $0.contains("from 'true_cvr'") && $0.hasPrefix("cvr_entire:") })
        #expect(evaluation.metricOrder.first == "ctcvr_auc" && !evaluation.metricOrder.contains("ctcvr_rows"))
        // The average column of multi-task tables: the unweighted mean of every task's AUC, and of
        // the truth AUCs where a task has a truth.
        let tasks = trainer.model.evaluationTasks.map(\.name)
        let aucs = tasks.map { evaluation.metrics["\($0)_auc"]! }
        let truthAUCs = tasks.compactMap { evaluation.metrics["\($0)_truth_auc"] }
        #expect(tasks.count >= 2 && truthAUCs.count >= 2)
        #expect(evaluation.metrics["mean_auc"] == aucs.reduce(0, +) / Double(aucs.count))
        #expect(evaluation.metrics["mean_truth_auc"] == truthAUCs.reduce(0, +) / Double(truthAUCs.count))
        #expect(evaluation.metricOrder.suffix(2) == ["mean_auc", "mean_truth_auc"])
        // The primary scores are the product ô·r̂ computed from the two heads.
        let batcher = try Batcher(dataset: trainer.dataset, split: "test", batchSize: 64, shuffle: false, columns: trainer.model.requirements.columns)
        let outputs = try trainer.model(batcher.batch(batcher.batches(epoch: 0)[0]))
        let products = zip(outputs["ctr"]!.sigmoid().scalars, outputs["cvr"]!.sigmoid().scalars).map { Double($0 * $1) }
        for (score, product) in zip(evaluation.scores, products) { #expect(abs(score - product) < 1e-6) }
    }

    @Test(.needsSharedData) func earlyStoppingOnAnUnknownMetricIsRefusedByName() throws {
        var configuration = TrainingConfiguration(data: try Self.aliCCP.get(), model: .esmm)
        configuration.validation = ValidationConfiguration(fraction: 0.2)
        configuration.earlyStopping = EarlyStopping()
        configuration.earlyStopping?.metric = "auc"
        // Refused before the first step (the metric names come from the evaluation tasks).
        #expect {
            try Trainer(configuration: configuration)
        } throws: { error in
            "\(error)".contains("no metric 'auc'") && "\(error)".contains("ctcvr_auc")
        }
    }
}
