import Foundation
import FunnelData
import FunnelModels
import FunnelTensor

extension TargetDistribution {
    /// A trained model's click scores over the campaign's actions turned into a distribution:
    /// `π(a | round) ∝ p(click | round, a)^(1/T)`, the softmax of the model's log-probability of a
    /// click divided by the temperature `T` (T → 0: greedy; large T: uniform).
    ///
    /// Every round of `log` is scored once per action, its own columns kept (user features,
    /// position, history) and the action's columns put in: `item`, `action` and the joined item
    /// side table (`item.*`), copied from the first round of the log that shows the action. The
    /// score is the product of the model's first (binary) evaluation task's probabilities, as
    /// `funnel predict` scores a row.
    /// - Parameters:
    ///   - model: the model (``TrainedModel/model``), built over `dataset`.
    ///   - log: the evaluated rounds (``BanditLog/rows`` locates them in the split).
    ///   - temperature: `T > 0`.
    ///   - source: how reports name the target (the checkpoint).
    /// - Throws: ``OffPolicyInputError`` for a model without a binary task, an action the log
    ///   never shows, or an action column that is not one value per row.
    public static func softmaxOfScores(
        model: some FunnelModel, dataset: Dataset, log: BanditLog, actionCount: Int, temperature: Double, source: String
    ) throws -> TargetDistribution {
        guard temperature > 0 && temperature.isFinite else {
            throw OffPolicyInputError(file: source, line: nil, message: "the temperature must be a positive number, got \(temperature)")
        }
        let logScores = try actionLogScores(model: model, dataset: dataset, log: log, actionCount: actionCount, source: source)
        var probabilities = [Double](repeating: 0, count: logScores.count)
        for round in 0..<log.count {
            let scores = logScores[round * actionCount..<(round + 1) * actionCount]
            let largest = scores.max()!
            let weights = scores.map { exp(($0 - largest) / temperature) }
            let total = weights.reduce(0, +)
            for (action, weight) in weights.enumerated() { probabilities[round * actionCount + action] = weight / total }
        }
        return TargetDistribution(
            actionCount: actionCount, probabilities: probabilities,
            source: "\(source): softmax over the campaign's actions of the model's log click probability / temperature \(temperature)")
    }

    /// The model's log click probability of every action in every round of `log`:
    /// `[rounds * actionCount]`, row-major by round (see
    /// ``softmaxOfScores(model:dataset:log:actionCount:temperature:source:)``).
    public static func actionLogScores(
        model: some FunnelModel, dataset: Dataset, log: BanditLog, actionCount: Int, source: String
    ) throws -> [Double] {
        func refuse(_ message: String) -> OffPolicyInputError { OffPolicyInputError(file: source, line: nil, message: message) }
        guard let task = model.evaluationTasks.first, case .binary = task.kind else {
            throw refuse("the model's first evaluation task is not binary; a target policy needs click scores")
        }
        guard log.rows.count == log.count else { throw refuse("the log does not locate its rounds in split '\(log.split)'") }
        let table = try dataset.split(log.split)
        var kept = [Bool](repeating: false, count: table.rowCount)
        for row in log.rows { kept[row] = true }
        let batcher = try model.requirements.batcher(
            dataset: dataset, split: log.split, batchSize: 2048, training: false, rows: kept)
        var templateRows = [Int](repeating: -1, count: actionCount)
        for (round, action) in log.actions.enumerated() where templateRows[action] < 0 { templateRows[action] = log.rows[round] }
        if let missing = templateRows.firstIndex(of: -1) {
            throw refuse("action \(missing) of campaign '\(log.campaign)' never appears in split '\(log.split)', so its item's columns are unknown")
        }
        let templates = templateRows.map { batcher.batch([Int32($0)][...]) }
        func isActionColumn(_ name: String) -> Bool { name == "item" || name == "action" || name.hasPrefix("item.") }
        for (name, values) in templates[0].ids where isActionColumn(name) && values.count != 1 {
            throw refuse("the model reads '\(name)' as \(values.count) ids per row; only one-id action columns can be replaced")
        }
        var logScores = [Double](repeating: 0, count: log.count * actionCount)
        model.train(false)
        defer { model.train() }
        var offset = 0
        try withoutGradients {
            for slice in batcher.batches(epoch: 0) {
                let batch = batcher.batch(slice)
                for action in 0..<actionCount {
                    var variant = batch
                    let template = templates[action]
                    for (name, values) in template.ids where isActionColumn(name) {
                        variant.ids[name] = Array(repeating: values[0], count: batch.size)
                    }
                    for (name, values) in template.floats where isActionColumn(name) {
                        variant.floats[name] = Array(repeating: values[0], count: batch.size)
                    }
                    for (name, values) in template.keys where isActionColumn(name) {
                        variant.keys[name] = Array(repeating: values[0], count: batch.size)
                    }
                    for (name, values) in template.present where isActionColumn(name) {
                        variant.present[name] = Array(repeating: values[0], count: batch.size)
                    }
                    let outputs = try model(variant)
                    for name in task.outputs {
                        for (row, logit) in try Evaluator.output(name, of: outputs, task: task).scalars.enumerated() {
                            // log σ(z) = −softplus(−z).
                            let z = Double(logit)
                            logScores[(offset + row) * actionCount + action] -= max(-z, 0) + log1p(exp(-abs(z)))
                        }
                    }
                }
                offset += batch.size
            }
        }
        return logScores
    }
}
