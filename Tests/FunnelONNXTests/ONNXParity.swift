import Foundation
import FunnelData
import FunnelModels
import FunnelONNX
import FunnelTensor
import FunnelTraining
import Testing

/// The parity check shared by the ONNX tests: a trained model is exported, and onnxruntime's
/// outputs on (up to) 1,000 test rows must match Funnel's forward in evaluation mode — σ of
/// each head's logit and the products of the binary tasks — and the Evaluator's primary
/// scores, to 1e-5.
enum ONNXParity {
    static let tolerance = 1e-5

    static func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "funnel-onnx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Trains `kind` one epoch on `data` (batches of 256, one thread) with a checkpoint
    /// directory and loads the checkpoint back.
    static func trained(_ kind: ModelKind, data: String, configuration json: String?) throws -> TrainedModel {
        var configuration = TrainingConfiguration(data: data, model: kind)
        configuration.epochs = 1
        configuration.batchSize = 256
        configuration.threads = 1
        configuration.checkpointDirectory = try temporaryFolder() + "/run"
        if let json {
            configuration.modelConfiguration = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        }
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        _ = try trainer.train()
        return try TrainedModel.load(checkpoint: configuration.checkpointDirectory!)
    }

    /// The output holding a task's product: `<task>_product` when the task shares a head's
    /// name (a chained multi-task task), `<task>` otherwise (`score` for an unnamed task).
    static func productOutput(of task: EvaluationTask, in outputs: [String]) -> String? {
        let name = task.name.isEmpty ? "score" : task.name
        return outputs.contains(name + "_product") ? name + "_product" : outputs.contains(name) ? name : nil
    }

    /// Exports `trained` and compares onnxruntime with Funnel; returns each output's max
    /// |difference| (empty when onnxruntime is unavailable outside CI).
    @discardableResult
    static func expectParity(_ trained: TrainedModel) throws -> [String: Double] {
        let kind = trained.configuration.model.rawValue
        let folder = try temporaryFolder()
        let path = folder + "/model.onnx"
        let summary = try ONNXExport.write(trained, to: path)
        guard try ONNXRuntimeRunner.available() else { return [:] }
        let outputNames = summary.outputs.map(\.name)

        // Funnel: the first 1,000 test rows through the model in evaluation mode.
        let model = trained.model
        model.train(false)
        let batcher = try Batcher(
            dataset: trained.dataset, split: "test", batchSize: 1000, shuffle: false, columns: model.requirements.columns)
        let batch = batcher.batch(batcher.batches(epoch: 0)[0])
        let logits = try withoutGradients { try model(batch) }
        var expected = logits.mapValues { $0.sigmoid().scalars.map(Double.init) }
        for task in model.evaluationTasks where task.kind == .binary && task.outputs.count > 1 {
            guard let name = productOutput(of: task, in: outputNames) else {
                Issue.record("\(kind): no output for task '\(task.name)' in \(outputNames)")
                continue
            }
            let factors = task.outputs.map { expected[$0]! }
            expected[name] = batch.rows.indices.map { row in factors.map { Double(Float($0[row])) }.reduce(1, *) }
        }

        let vocabulary = try JSONDecoder().decode(
            ONNXVocabularyFile.self, from: Data(contentsOf: URL(fileURLWithPath: summary.vocabularyPath)))
        let categorical = Dictionary(uniqueKeysWithValues: vocabulary.inputs.map { input in
            (input.input, batch.ids[input.input]!.map(Int64.init))
        })
        let dense = vocabulary.dense.isEmpty ? nil : try batch.denseTensor(vocabulary.dense).scalars
        let actual = try ONNXRuntimeRunner.run(model: path, rows: batch.size, categorical: categorical, dense: dense, folder: folder)

        #expect(Set(actual.keys) == Set(outputNames))
        var differences: [String: Double] = [:]
        for output in outputNames {
            let funnel = try #require(expected[output], "\(kind): Funnel has no '\(output)'")
            let onnx = try #require(actual[output])
            #expect(onnx.count == batch.size)
            let difference = zip(funnel, onnx).map { abs($0 - $1) }.max() ?? .infinity
            differences[output] = difference
            print("ONNX parity \(kind) \(output): max |difference| = \(difference) over \(batch.size) rows")
            #expect(difference <= tolerance, "\(kind) output '\(output)': max |difference| \(difference)")
        }

        // The Evaluator's primary scores (every test row, in order) on the same rows.
        let evaluation = try Evaluator.evaluate(model: model, dataset: trained.dataset, split: "test")
        let primary = evaluation.primaryTask
        let primaryOutput = primary.outputs.count == 1 ? primary.outputs[0] : try #require(productOutput(of: primary, in: outputNames))
        let scored = Array(evaluation.scores.prefix(batch.size))
        let difference = zip(scored, actual[primaryOutput]!).map { abs($0 - $1) }.max() ?? .infinity
        #expect(scored.count == batch.size && difference <= tolerance, "\(kind): Evaluator vs ONNX '\(primaryOutput)': \(difference)")
        return differences
    }
}
