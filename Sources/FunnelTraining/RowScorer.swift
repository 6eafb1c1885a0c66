import Foundation
import FunnelData
import FunnelModels
import FunnelTensor

/// Scores rows sent from outside a dataset's files (a scoring request) with a trained model:
/// the rows are encoded as the loader encodes a split's (``RowEncoder``: the same parsing, the
/// same vocabularies with their out-of-vocabulary id, the same side-table joins), batched by the
/// model's own requirements and scored as evaluation scores a split, so a row scores what
/// `funnel predict` writes for the same row.
///
/// Scores, per row: each binary task's output as a probability `σ(logit)` under the output's
/// name, each binary task that multiplies several outputs as `Π σ(logit)` under the task's name
/// (ESMM: `ctr`, `cvr`, `ctcvr`), and each regression or watch-time output's value under its
/// name. ``rank(history:count:excluding:)`` serves models whose first task ranks a catalogue.
public struct RowScorer {
    public let trained: TrainedModel
    public let encoder: RowEncoder
    /// The names of the scores every row gets, in response order.
    public let scoreNames: [String]
    /// How each score is computed, in the order of ``scoreNames``: `σ(ctr)`, `σ(ctr)·σ(cvr)`,
    /// or the output's name for a value.
    public let scoreDescriptions: [String]
    /// Whether the model's first task ranks a catalogue (then rows are ranked, not scored).
    public let ranks: Bool

    private let probabilityTasks: [EvaluationTask]
    private let valueOutputs: [String]

    /// - Throws: `DataError` for a dataset the model's columns cannot be read from.
    public init(_ trained: TrainedModel) throws {
        self.trained = trained
        let tasks = trained.model.evaluationTasks
        // Labels (the ranking target among them) are what is predicted, never sent.
        let labels = Set(tasks.flatMap { [$0.label] + ($0.rowsWhere.map { [$0] } ?? []) })
        encoder = try RowEncoder(dataset: trained.dataset, reading: trained.model.requirements.columns.subtracting(labels))
        var names: [String] = []
        var descriptions: [String] = []
        var probabilityTasks: [EvaluationTask] = []
        var valueOutputs: [String] = []
        for task in tasks {
            switch task.kind {
            case .binary:
                let single = task.outputs.filter { !names.contains($0) }
                names += single
                descriptions += single.map { "σ(\($0))" }
                probabilityTasks += single.map { EvaluationTask(name: $0, outputs: [$0], label: task.label) }
                let name = task.name.isEmpty ? task.label : task.name
                if task.outputs.count > 1, !names.contains(name) {
                    names.append(name)
                    descriptions.append(task.scoreDescription)
                    probabilityTasks.append(task)
                }
            case .regression, .watchTime:
                let values = task.outputs.filter { !names.contains($0) }
                names += values
                descriptions += values
                valueOutputs += values
            case .ranking:
                continue
            }
        }
        scoreNames = names
        scoreDescriptions = descriptions
        self.probabilityTasks = probabilityTasks
        self.valueOutputs = valueOutputs
        if case .ranking = tasks[0].kind { ranks = true } else { ranks = false }
        // As evaluation does: the same scores as `funnel predict`'s, bit for bit.
        trained.model.prepareForInference()
    }

    /// The model's outputs for encoded rows, in evaluation mode without gradients.
    func outputs(_ table: Table) throws -> (outputs: [String: Tensor], batch: Batch) {
        let requirements = trained.model.requirements
        let batcher = try Batcher(
            dataset: trained.dataset, table: table, batchSize: max(1, table.rowCount), shuffle: false,
            columns: requirements.columns, sequences: requirements.sequences)
        let batch = batcher.batch(batcher.batches(epoch: 0).first ?? [])
        let model = trained.model
        model.train(false)
        defer { model.train() }
        return (try withoutGradients { try model(batch) }, batch)
    }

    /// Scores `rows`: `scores[name][row]` for every name of ``scoreNames``.
    /// - Throws: ``RowEncodingError`` naming a bad field; a model error otherwise.
    public func score(_ rows: [[String: RowField]]) throws -> [String: [Double]] {
        guard !ranks else {
            throw RowEncodingError(
                row: nil, column: nil, message: "the model (\(trained.configuration.model.rawValue)) ranks a catalogue; use /v1/rank")
        }
        guard !rows.isEmpty else { return Dictionary(uniqueKeysWithValues: scoreNames.map { ($0, []) }) }
        let (outputs, batch) = try self.outputs(try encoder.table(rows))
        var scores: [String: [Double]] = [:]
        for task in probabilityTasks {
            let name = task.outputs.count == 1 ? task.outputs[0] : (task.name.isEmpty ? task.label : task.name)
            scores[name] = try BinaryTaskScorer.logProbabilities(task, outputs: outputs, rows: batch.size).map { Foundation.exp($0) }
        }
        for name in valueOutputs {
            guard let values = outputs[name] else { throw Checkpoint.Error(description: "the model has no output '\(name)'") }
            scores[name] = values.scalars.prefix(batch.size).map(Double.init)
        }
        return scores
    }
}
