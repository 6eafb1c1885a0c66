import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Logging

/// One training run: the configuration's data, model and optimizer, epochs of seeded batches,
/// evaluation, early stopping and checkpoints. A run resumed from a checkpoint continues from the
/// batch after it and reaches the same parameters as an uninterrupted run with the same seed.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let dataset: Dataset
    public let model: any FunnelModel
    public let optimizer: OptimizerGroups
    public private(set) var state: RunState
    /// Called after every step with the run's progress.
    public var progress: ((TrainingProgress) -> Void)?
    /// Whether evaluations are logged (a terminal progress bar shows them instead).
    public var logsEvaluations = true
    /// The last evaluation's metrics.
    public private(set) var lastEvaluation: Evaluation?
    /// Seconds spent in training steps (forward, backward, update) by this process — not in
    /// evaluation or checkpoints.
    public private(set) var trainingSeconds: Double = 0
    /// Training samples per second of this process's steps.
    public var trainingSamplesPerSecond: Double {
        Double(trainedSamples) / Swift.max(trainingSeconds, 1e-9)
    }
    private var trainedSamples = 0
    private var logSums: [String: (sum: Double, count: Int)] = [:]
    /// The mean over this process's steps of every value the model's loss logged (NaNs left out).
    public var logMeans: [String: Double] {
        logSums.compactMapValues { $0.count > 0 ? $0.sum / Double($0.count) : nil }
    }
    let logger = Logger(label: "funnel.train")

    public init(configuration: TrainingConfiguration) throws {
        self.configuration = configuration
        Compute.threadCount = configuration.threads
        dataset = try Dataset.load(configuration.data)
        model = try configuration.model.make(dataset: dataset, configuration: configuration.modelConfiguration?.data, seed: configuration.seed)
        for column in model.columns where !Self.has(dataset, column) {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: column, reason: "model '\(configuration.model.rawValue)' needs it")
        }
        optimizer = try Self.makeOptimizer(configuration, model: model, dataset: dataset)
        state = RunState(configuration: configuration)
    }

    private static func has(_ dataset: Dataset, _ column: String) -> Bool {
        dataset.schema.resolvedColumn(column) != nil
    }

    /// The configured optimizer groups over the model's named parameters; schedules that leave
    /// their total out span the run (epochs × batches of the training rows).
    static func makeOptimizer(
        _ configuration: TrainingConfiguration, model: any FunnelModel, dataset: Dataset
    ) throws -> OptimizerGroups {
        let kept = try model.trainingRows(in: dataset, split: configuration.trainSplit)
        let rows = try kept.map { $0.count(where: { $0 }) } ?? dataset.split(configuration.trainSplit).rowCount
        let batchSize = Swift.max(configuration.batchSize, 1)
        let totalSteps = (rows + batchSize - 1) / batchSize * configuration.epochs
        return try configuration.optimizer.makeOptimizer(for: model.namedParameters(), totalSteps: totalSteps)
    }

    /// Continues from the newest checkpoint of the configured directory, if there is one.
    /// - Returns: whether a checkpoint was loaded.
    @discardableResult
    public func resume() throws -> Bool {
        guard let directory = configuration.checkpointDirectory, let path = Checkpoint.latest(in: directory) else { return false }
        let saved = try Checkpoint.readState(path)
        guard saved.configuration.model == configuration.model, saved.configuration.seed == configuration.seed,
            saved.configuration.data == configuration.data, saved.configuration.batchSize == configuration.batchSize
        else {
            throw Checkpoint.Error(description: "\(path): written by a run with another model, seed, dataset or batch size")
        }
        try Checkpoint.load(path, into: model, optimizer: optimizer)
        state = saved
        state.configuration = configuration
        logger.info("resumed from \(path) at step \(saved.step) (epoch \(saved.epoch + 1), batch \(saved.nextBatch))")
        return true
    }

    /// Trains until the epochs end or early stopping fires; returns the final evaluation.
    @discardableResult
    public func train() throws -> Evaluation {
        var filter: Batcher.RowFilter?
        if let kept = try model.trainingRows(in: dataset, split: configuration.trainSplit) {
            filter = { row, _, _ in kept[row] }
        }
        let batcher = try Batcher(
            dataset: dataset, split: configuration.trainSplit, batchSize: configuration.batchSize, shuffle: true,
            seed: configuration.seed, columns: model.columns, sequences: model.sequencePolicies, filter: filter)
        let perEpoch = batcher.batches(epoch: 0).count
        let totalSteps = perEpoch * configuration.epochs
        let start = Date()
        let startStep = state.step
        var stopped = state.finished
        while !stopped && state.epoch < configuration.epochs {
            let batches = batcher.batches(epoch: state.epoch)
            while state.nextBatch < batches.count {
                let stepStart = DispatchTime.now().uptimeNanoseconds
                let batch = batcher.batch(batches[state.nextBatch])
                let outputs = try model(batch)
                let (loss, logs) = try model.loss(outputs, batch: batch)
                for (name, value) in logs where value.isFinite {
                    let running = logSums[name] ?? (0, 0)
                    logSums[name] = (running.sum + value, running.count + 1)
                }
                loss.backward()
                if let clip = configuration.optimizer.clipNorm { optimizer.clipGradientNorm(clip) }
                optimizer.applySchedules(step: state.step)
                optimizer.step()
                trainingSeconds += Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
                trainedSamples += batch.size
                state.nextBatch += 1
                state.step += 1
                var point = CurvePoint(step: state.step, loss: Double(loss.scalar))
                let endOfEpoch = state.nextBatch == batches.count
                let evaluateNow = configuration.evaluateEvery > 0 ? state.step % configuration.evaluateEvery == 0 : endOfEpoch
                if evaluateNow {
                    let evaluation = try evaluate()
                    point.evaluation = evaluation.metrics[configuration.earlyStopping?.metric ?? evaluation.primaryMetric]
                    stopped = try updateEarlyStopping(evaluation)
                }
                state.curve.append(point)
                if endOfEpoch {
                    state.epoch += 1
                    state.nextBatch = 0
                }
                if stopped || (state.epoch == configuration.epochs && endOfEpoch) { state.finished = true }
                if let directory = configuration.checkpointDirectory,
                    state.finished || state.step % Swift.max(configuration.checkpointEvery, 1) == 0
                {
                    try Checkpoint.write(directory: directory, model: model, optimizer: optimizer, state: state)
                }
                let elapsed = Swift.max(Date().timeIntervalSince(start), 1e-9)
                let stepsPerSecond = Double(state.step - startStep) / elapsed
                progress?(TrainingProgress(
                    step: state.step, totalSteps: totalSteps, epoch: Swift.min(state.epoch + 1, configuration.epochs),
                    loss: point.loss, samplesPerSecond: stepsPerSecond * Double(configuration.batchSize),
                    secondsRemaining: Double(totalSteps - state.step) / Swift.max(stepsPerSecond, 1e-9),
                    lastEvaluation: lastEvaluation.flatMap { evaluation in evaluation.metrics[evaluation.primaryMetric].map { (evaluation.primaryMetric, $0) } }))
                if stopped || endOfEpoch { break }
            }
        }
        let evaluation = try lastEvaluation ?? evaluate()
        return evaluation
    }

    /// Evaluates the configured split now.
    public func evaluate() throws -> Evaluation {
        let evaluation = try Evaluator.evaluate(
            model: model, dataset: dataset, split: configuration.evaluationSplit, groupColumn: configuration.groupColumn,
            truthColumn: configuration.truthColumn)
        lastEvaluation = evaluation
        guard logsEvaluations else { return evaluation }
        logger.info("step \(state.step): \(evaluation.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: ", "))")
        return evaluation
    }

    /// Whether early stopping fires after this evaluation.
    private func updateEarlyStopping(_ evaluation: Evaluation) throws -> Bool {
        guard let rule = configuration.earlyStopping else { return false }
        let metric = rule.metric ?? evaluation.primaryMetric
        guard let value = evaluation.metrics[metric] else {
            throw StrictJSON.Error(description: "field 'earlyStopping.metric': the evaluation has no metric '\(metric)' (it has \(evaluation.metrics.keys.sorted().joined(separator: ", ")))")
        }
        if let best = state.best, rule.higherIsBetter ? value <= best : value >= best {
            state.evaluationsWithoutImprovement += 1
            return state.evaluationsWithoutImprovement >= rule.patience
        }
        state.best = value
        state.evaluationsWithoutImprovement = 0
        return false
    }
}

/// What a progress display shows after a step.
public struct TrainingProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    public var loss: Double
    public var samplesPerSecond: Double
    public var secondsRemaining: Double
    /// The primary metric of the last evaluation.
    public var lastEvaluation: (name: String, value: Double)?
}
