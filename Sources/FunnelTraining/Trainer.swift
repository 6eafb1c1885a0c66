import Foundation
import FunnelData
import FunnelDistributed
import FunnelModels
import FunnelNN
import FunnelTensor
import Logging

/// One training run: the configuration's data, model and optimizer groups, epochs of seeded
/// batches, each trained by the model's ``TrainingStep``, evaluation on the validation rows,
/// early stopping with the best parameters kept, checkpoints, and the final evaluation on the
/// evaluation split.
///
/// Every random draw of a step comes from (seed, epoch, step), so a run resumed from a
/// checkpoint reaches the parameters of an uninterrupted run bit for bit — with dropout and
/// sampled negatives too. The loop, step by step: `docs/training-loop.md`.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let dataset: Dataset
    public let model: any FunnelModel
    public let optimizer: OptimizerGroups
    /// The step every batch is trained by: the model's own, else the configuration's (data
    /// parallel after ``distribute(over:)``).
    public private(set) var step: any TrainingStep
    /// The ranks this run trains on, data parallel (``distribute(over:)``); `nil`: alone.
    public private(set) var communicator: Communicator?
    /// The multi-task rule of a ``MultiTaskTrainingStep`` (its state is checkpointed).
    let multiTaskUpdate: (any MultiTaskUpdate)?
    public private(set) var state: RunState
    /// Called after every step with the run's progress.
    public var progress: ((TrainingProgress) -> Void)?
    /// Whether evaluations are logged (a terminal progress bar shows them instead).
    public var logsEvaluations = true
    /// The last evaluation's metrics (validation during training, then the evaluation split).
    public private(set) var lastEvaluation: Evaluation?
    /// The replay's per-chunk and per-day measurements, when the configuration asks for one.
    public private(set) var replayResult: ReplayResult?
    /// Seconds spent in training steps (batch, forward, backward, update) by this process.
    public private(set) var trainingSeconds: Double = 0
    /// Training samples per second of this process's steps.
    public var trainingSamplesPerSecond: Double {
        Double(trainedSamples) / Swift.max(trainingSeconds, 1e-9)
    }
    private var trainedSamples = 0
    private var trainedSteps = 0
    private var logSums: [String: (sum: Double, count: Int)] = [:]
    /// The mean over this process's steps of every value the objective logged (NaNs left out).
    public var logMeans: [String: Double] {
        logSums.compactMapValues { $0.count > 0 ? $0.sum / Double($0.count) : nil }
    }
    let validation: ValidationSplit?
    let batcher: Batcher
    private let randomLayers: [any RandomLayer]
    /// The parameters at the best validation metric so far (early stopping keeps them).
    private(set) var bestParameters: [String: [Float]]?
    let logger = Logger(label: "funnel.train")
    /// The checkpoint folder, locked from ``resume()`` or the start of ``train()`` to its end.
    private var checkpointFolder: CheckpointFolder?
    /// The checkpoint last written or resumed from (pruning keeps it).
    private(set) var lastCheckpoint: String?

    /// Where the model's embedding tables live and what they cost per rank.
    public let embeddingPlacement: EmbeddingSharding

    /// - Parameters:
    ///   - dataset: the dataset, when already loaded (an experiment loads it once); `nil`:
    ///     `configuration.data`.
    ///   - model: a model built outside the registry (tests, libraries); `nil`: the
    ///     configuration's registry model.
    ///   - communicator: the ranks of a distributed run (``distribute(over:)``); `nil`: alone.
    ///   - embeddings: which embedding tables are split over the ranks, and the memory budget
    ///     of one rank's tables (a table over it is refused, with the ranks it would need).
    public init(
        configuration: TrainingConfiguration, dataset: Dataset? = nil, model: (any FunnelModel)? = nil,
        communicator: Communicator? = nil, embeddings: EmbeddingPlacement = EmbeddingPlacement()
    ) throws {
        try configuration.validate()
        // Checkpoints keep the data path absolute: evaluate/predict may run from another folder.
        var configuration = configuration
        configuration.data = TrainedModel.absolutePath(configuration.data)
        self.configuration = configuration
        Compute.threadCount = configuration.threads
        let dataset = try dataset ?? Dataset.load(configuration.data)
        self.dataset = dataset
        try Self.check(configuration, against: dataset)
        let modelName = model.map { "\(type(of: $0))" } ?? configuration.model.rawValue
        let placement = EmbeddingSharding(
            exchange: communicator.map(CommunicatorRowExchange.init), mode: embeddings.mode, budgetBytes: embeddings.memoryBudgetBytes,
            stateValues: configuration.optimizer.stateValuesPerParameter)
        let model = try model ?? placement.withPlacement {
            try configuration.model.make(dataset: dataset, configuration: configuration.modelConfiguration?.data, seed: configuration.seed)
        }
        if let failure = placement.failure { throw DistributedError("memory budget: \(failure)") }
        embeddingPlacement = placement
        self.model = model
        try Self.check(configuration, model: model, dataset: dataset)
        let requirements = model.requirements
        try requirements.check(dataset, model: modelName)
        if let replay = configuration.replay {
            // Refused before any training: a start day outside the split, an unknown layer.
            let plan = try ReplayPlan(model: model, dataset: dataset, training: configuration, replay: replay)
            _ = try plan.memoryLayer(model: model, replay: replay)
        }
        validation = try configuration.validation.map {
            try ValidationSplit($0.resolved(runSeed: configuration.seed), dataset: dataset, trainSplit: configuration.trainSplit)
        }
        let carved = validation?.split == configuration.trainSplit ? validation?.rows : nil
        batcher = try requirements.batcher(
            dataset: dataset, split: configuration.trainSplit, batchSize: configuration.batchSize, training: true,
            seed: configuration.seed,
            rows: try requirements.trainingRows(dataset: dataset, split: configuration.trainSplit, excluding: carved))
        let totalSteps = batcher.batches(epoch: 0).count * configuration.epochs
        optimizer = try configuration.optimizer.makeOptimizer(for: model.namedParameters(), totalSteps: totalSteps)
        if let own = model.trainingStep {
            step = own
            multiTaskUpdate = nil
        } else if let rule = configuration.multiTaskUpdate {
            let update = rule.make(pub: configuration.pub)
            step = MultiTaskTrainingStep(update: update)
            multiTaskUpdate = update
        } else {
            step = StandardTrainingStep()
            multiTaskUpdate = nil
        }
        randomLayers = model.randomLayers()
        state = RunState(configuration: configuration)
        if let communicator { try distribute(over: communicator) }
    }

    /// Trains data parallel over the communicator's ranks: every rank draws the same global
    /// batches, trains on its shard of each (contiguous rows, the first ranks one row more when
    /// the batch does not divide) and takes the step of the summed gradients
    /// (``DataParallelTrainingStep``). Rank 0 alone opens, writes and prunes the checkpoint
    /// folder; the ranks share the evaluations' forward passes and all get the metrics.
    /// - Throws: for a model with a training step of its own or a multi-task update (their
    ///   per-task gradients are not exchanged yet).
    public func distribute(over communicator: Communicator) throws {
        if self.communicator === communicator { return }
        guard step is StandardTrainingStep else {
            throw DistributedError(
                "\(configuration.model.rawValue) trains with \(type(of: step)); data-parallel training runs the standard step only")
        }
        self.communicator = communicator
        let dataParallel = DataParallelTrainingStep(communicator: communicator)
        step = dataParallel
        // Lookups of tables split over the ranks exchange rows: in the same order on every rank.
        if !dataParallel.shardedTables(of: model).isEmpty { Compute.branchesRunInOrder = true }
    }

    /// Rows of the global batches per second of this process's training steps (data parallel:
    /// all ranks' rows; alone: ``trainingSamplesPerSecond``).
    public var globalSamplesPerSecond: Double {
        guard let step = step as? DataParallelTrainingStep else { return trainingSamplesPerSecond }
        return Double(step.globalSamples) / Swift.max(trainingSeconds, 1e-9)
    }

    /// Bytes this rank sent per step in the data-parallel exchanges (0 alone): dense gradients,
    /// rows of replicated embedding tables' gradients, and for the tables split over the ranks,
    /// the lookups' ids and vectors and the gradient rows sent to their owners.
    public var exchangedBytesPerStep: (dense: Double, sparse: Double, lookups: Double, shardGradients: Double) {
        guard let step = step as? DataParallelTrainingStep, trainedSteps > 0 else { return (0, 0, 0, 0) }
        let shards = shardedTables.map(\.shard.sentBytes)
        let perStep = { (bytes: Int) in Double(bytes) / Double(self.trainedSteps) }
        return (
            perStep(step.sentBytes.dense), perStep(step.sentBytes.sparse), perStep(shards.reduce(0) { $0 + $1.lookups }),
            perStep(shards.reduce(0) { $0 + $1.gradients })
        )
    }

    /// Whether this process writes checkpoints, progress and reports: rank 0, or a process alone.
    public var isLead: Bool { communicator?.isLead ?? true }

    /// Continues from the newest valid checkpoint of the configured directory, if it holds any:
    /// checkpoints whose files fail their checksums (or a missing or damaged `latest`) are
    /// skipped and logged. Locks the directory for the run.
    /// - Returns: whether a checkpoint was loaded (`false`: an empty or new directory).
    /// - Throws: when another run holds the directory, or it holds checkpoints but no valid
    ///   one (nothing is pruned then), or the checkpoint is another model's, seed's, dataset's or
    ///   batch size's.
    @discardableResult
    public func resume() throws -> Bool {
        guard let directory = configuration.checkpointDirectory else { return false }
        if let communicator, !communicator.isLead { return try resumeAsFollower(from: directory, communicator) }
        try openCheckpointFolder(directory, resuming: true)
        do {
            let resumed = try resume(from: directory)
            if let communicator {
                // The followers load the checkpoint rank 0 chose ("" for none).
                _ = try communicator.broadcast(Array((resumed ? lastCheckpoint ?? "" : "").utf8), from: 0)
            }
            return resumed
        } catch {
            checkpointFolder?.release()
            checkpointFolder = nil
            throw error
        }
    }

    /// A follower rank's resume: the checkpoint rank 0 chose, read without taking the folder.
    private func resumeAsFollower(from directory: String, _ communicator: Communicator) throws -> Bool {
        let path = String(decoding: try communicator.broadcast([UInt8](), from: 0), as: UTF8.self)
        guard !path.isEmpty else { return false }
        bestParameters = try Checkpoint.load(path, into: model, optimizer: optimizer, multiTaskUpdate: multiTaskUpdate)
        state = try Checkpoint.readState(path)
        state.configuration = configuration
        lastCheckpoint = path
        return true
    }

    private func resume(from directory: String) throws -> Bool {
        let selection = Checkpoint.newestValid(in: directory)
        for skipped in selection.skipped { logger.warning("resume: skipped \(skipped)") }
        guard let path = selection.path else {
            guard !selection.holdsCheckpoints else {
                throw Checkpoint.Error(
                    description: "\(directory): no valid checkpoint to resume from (\(selection.skipped.joined(separator: "; "))); "
                        + "nothing was pruned: move the folder away, or choose another, to start over")
            }
            return false
        }
        let saved = try Checkpoint.readState(path)
        // Runs store their data path absolute; an older checkpoint's relative one is compared so.
        var savedConfiguration = saved.configuration
        savedConfiguration.data = TrainedModel.absolutePath(savedConfiguration.data)
        if let change = Self.changedField(from: savedConfiguration, to: configuration) {
            throw Checkpoint.Error(
                description: "\(path): cannot resume: \(change) (a resumed run may change only \(Self.resumableFields.joined(separator: ", ")))")
        }
        bestParameters = try Checkpoint.load(path, into: model, optimizer: optimizer, multiTaskUpdate: multiTaskUpdate)
        state = saved
        state.configuration = configuration
        lastCheckpoint = path
        // `latest` names the checkpoint resumed from again (evaluate and predict read it).
        if Checkpoint.latest(in: directory) != path {
            try AtomicFile.write(Data(URL(fileURLWithPath: path).lastPathComponent.utf8), to: directory + "/latest")
        }
        let skippedNote = selection.skipped.isEmpty ? "" : " (skipped: \(selection.skipped.joined(separator: "; ")))"
        logger.info("resumed from \(path) at step \(saved.step) (epoch \(saved.epoch + 1), batch \(saved.nextBatch))\(skippedNote)")
        return true
    }

    /// Locks the checkpoint folder for this run and removes stale temporaries; a new run (not
    /// resuming) refuses a folder that holds anything.
    private func openCheckpointFolder(_ directory: String, resuming: Bool) throws {
        if checkpointFolder != nil { return }
        let folder = try CheckpointFolder(directory: directory)
        if !folder.removedTemporaries.isEmpty {
            logger.notice("\(directory): removed the temporaries of interrupted writes: \(folder.removedTemporaries.joined(separator: ", "))")
        }
        let contents = folder.contents
        if !resuming && !contents.isEmpty {
            folder.release()
            let shown = contents.prefix(5).joined(separator: ", ") + (contents.count > 5 ? ", …" : "")
            throw Checkpoint.Error(
                description: "checkpoint folder \(directory) is not empty (it holds \(shown)): pass --resume to continue its run, "
                    + "or choose another folder (a new run there would mix its checkpoints with another run's)")
        }
        checkpointFolder = folder
    }

    /// The validation metric a finished run is chosen by (an experiment's parameter grid):
    /// early stopping's best value, else the last validation's value of the primary metric;
    /// `nil` without validation.
    public var selectionValue: Double? {
        configuration.earlyStopping != nil ? state.best : state.curve.last { $0.evaluation != nil }?.evaluation
    }

    /// Trains until the epochs end or early stopping fires, restores the best validated
    /// parameters (early stopping), and returns the evaluation of the evaluation split.
    @discardableResult
    public func train() throws -> Evaluation {
        let perEpoch = batcher.batches(epoch: 0).count
        let totalSteps = perEpoch * configuration.epochs
        let start = Date()
        let startStep = state.step
        if let directory = configuration.checkpointDirectory, isLead { try openCheckpointFolder(directory, resuming: false) }
        defer {
            checkpointFolder?.release()
            checkpointFolder = nil
        }
        var stopped = state.finished
        while !stopped && state.epoch < configuration.epochs {
            let batches = batcher.batches(epoch: state.epoch)
            while state.nextBatch < batches.count {
                let loss = try trainStep(batches[state.nextBatch])
                state.nextBatch += 1
                state.step += 1
                var point = CurvePoint(step: state.step, loss: loss)
                let endOfEpoch = state.nextBatch == batches.count
                let evaluateNow = validation != nil
                    && (configuration.evaluateEvery > 0 ? state.step % configuration.evaluateEvery == 0 : endOfEpoch)
                if evaluateNow {
                    let evaluation = try validate()
                    point.evaluation = evaluation.metrics[configuration.earlyStopping?.metric ?? evaluation.primaryMetric]
                    stopped = try updateEarlyStopping(evaluation)
                }
                state.curve.append(point)
                if endOfEpoch {
                    state.epoch += 1
                    state.nextBatch = 0
                }
                if stopped || (state.epoch == configuration.epochs && endOfEpoch) { state.finished = true }
                let tables = shardedTables
                if let directory = configuration.checkpointDirectory, isLead || !tables.isEmpty,
                    state.finished || state.step % Swift.max(configuration.checkpointEvery, 1) == 0
                {
                    if let cause = try firstNonFiniteParameter(shared: !tables.isEmpty) {
                        throw TrainingDiverged(
                            step: state.step, epoch: state.epoch + (endOfEpoch ? 0 : 1), batch: endOfEpoch ? batches.count : state.nextBatch,
                            cause: cause, lastCheckpoint: lastCheckpoint)
                    }
                    if let communicator, !tables.isEmpty {
                        lastCheckpoint = try Checkpoint.writeSharded(
                            directory: directory, model: model, optimizer: optimizer, tables: tables, bestParameters: bestParameters,
                            state: state, keeping: lastCheckpoint, communicator: communicator)
                    } else {
                        lastCheckpoint = try Checkpoint.write(
                            directory: directory, model: model, optimizer: optimizer, multiTaskUpdate: multiTaskUpdate,
                            bestParameters: bestParameters, state: state, keeping: lastCheckpoint)
                    }
                }
                reportProgress(loss: loss, start: start, startStep: startStep, totalSteps: totalSteps)
                if stopped || endOfEpoch { break }
            }
        }
        if configuration.earlyStopping?.restoreBest ?? false, let bestParameters { restore(bestParameters) }
        var evaluation = try evaluate()
        if let replay = configuration.replay {
            // The replay learns as it goes: it runs after the evaluation of the trained model.
            let result = try StreamingReplay.run(model: model, dataset: dataset, training: configuration, replay: replay)
            evaluation.metrics.merge(result.metrics) { $1 }
            evaluation.metricOrder += result.comparedNames
            evaluation.protocolDescription.append(result.protocolLine)
            replayResult = result
            lastEvaluation = evaluation
        }
        return evaluation
    }

    /// One step: the step's generator, the batch (with its sampled negatives), the model's
    /// training step. Returns the total loss.
    private func trainStep(_ rows: ArraySlice<Int32>) throws -> Double {
        let stepStart = DispatchTime.now().uptimeNanoseconds
        var random = RandomGenerator(seed: configuration.seed, epoch: state.epoch, step: state.step)
        let layerSeed = random.next()
        for layer in randomLayers { layer.reseed(layerSeed) }
        let batch = shard(of: rows, random: &random)
        optimizer.applySchedules(step: state.step)
        let objective = try step.train(model, on: batch, optimizer: optimizer, clipNorm: configuration.optimizer.clipNorm)
        trainingSeconds += Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
        trainedSamples += batch.size
        trainedSteps += 1
        let total = Double(objective.total.scalar)
        guard total.isFinite else {
            let terms = objective.loggedValues.filter { !$0.value.isFinite }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.isNaN ? "nan" : "\($0.value)")" }
            throw TrainingDiverged(
                step: state.step + 1, epoch: state.epoch + 1, batch: state.nextBatch + 1,
                cause: "non-finite logged terms: \(terms.joined(separator: ", "))", lastCheckpoint: lastCheckpoint)
        }
        for (name, value) in objective.loggedValues where value.isFinite {
            let running = logSums[name] ?? (0, 0)
            logSums[name] = (running.sum + value, running.count + 1)
        }
        return total
    }

    /// This rank's rows of a global batch (all of them alone). Sampled negatives are drawn for
    /// the whole batch and then cut, so that every row gets the negatives a single process
    /// draws for it; without them only the shard's rows are read.
    private func shard(of rows: ArraySlice<Int32>, random: inout RandomGenerator) -> Batch {
        guard let communicator, communicator.size > 1 else { return batcher.batch(rows, random: &random) }
        let (base, extra) = rows.count.quotientAndRemainder(dividingBy: communicator.size)
        let start = communicator.rank * base + Swift.min(communicator.rank, extra)
        var range = start..<start + base + (communicator.rank < extra ? 1 : 0)
        if range.isEmpty, !shardedTables.isEmpty, let step = step as? DataParallelTrainingStep {
            // No rows of this batch here: a stand-in row, counted as none, takes part in the
            // tables' exchanges.
            step.nextBatchIsStandIn = true
            range = 0..<1
        }
        guard batcher.negativeSampling == nil else { return batcher.batch(rows, random: &random).rows(range) }
        let first = rows.startIndex
        return batcher.batch(rows[(first + range.lowerBound)..<(first + range.upperBound)], random: &random)
    }

    /// The model's embedding tables split over the ranks.
    var shardedTables: [ShardedTable] {
        (step as? DataParallelTrainingStep)?.shardedTables(of: model) ?? []
    }

    /// What makes the first non-finite parameter non-finite, on any rank when `shared` (every
    /// rank then calls this, and all get the same answer), else here.
    private func firstNonFiniteParameter(shared: Bool) throws -> String? {
        let own = Checkpoint.firstNonFiniteParameter(of: model).map { name, value in
            "parameter '\(name)' holds \(value.isNaN ? "nan" : "\(value)") after the update"
                + (shared ? " on rank \(communicator?.rank ?? 0)" : "")
        }
        guard shared, let communicator else { return own }
        return try communicator.allGather(Array((own ?? "").utf8)).map { String(decoding: $0, as: UTF8.self) }.first { !$0.isEmpty }
    }

    private func reportProgress(loss: Double, start: Date, startStep: Int, totalSteps: Int) {
        guard let progress else { return }
        let elapsed = Swift.max(Date().timeIntervalSince(start), 1e-9)
        let stepsPerSecond = Double(state.step - startStep) / elapsed
        progress(TrainingProgress(
            step: state.step, totalSteps: totalSteps, epoch: Swift.min(state.epoch + 1, configuration.epochs),
            loss: loss, samplesPerSecond: stepsPerSecond * Double(configuration.batchSize),
            secondsRemaining: Double(totalSteps - state.step) / Swift.max(stepsPerSecond, 1e-9),
            lastEvaluation: lastEvaluation.flatMap { evaluation in evaluation.metrics[evaluation.primaryMetric].map { (evaluation.primaryMetric, $0) } }))
    }

    /// Evaluates the evaluation split now.
    public func evaluate() throws -> Evaluation {
        var evaluation = try Evaluator.evaluate(
            model: model, dataset: dataset, split: configuration.evaluationSplit, groupColumn: configuration.groupColumn,
            truthColumn: configuration.truthColumn, communicator: communicator)
        evaluation.protocolDescription.append(selectionDescription)
        return record(evaluation)
    }

    /// Evaluates the validation rows now.
    public func validate() throws -> Evaluation {
        guard let validation else { throw StrictJSON.Error(description: "field 'validation': not configured") }
        let evaluation = try Evaluator.evaluate(
            model: model, dataset: dataset, split: validation.split, rows: validation.rows, groupColumn: configuration.groupColumn,
            communicator: communicator)
        return record(evaluation)
    }

    private func record(_ evaluation: Evaluation) -> Evaluation {
        lastEvaluation = evaluation
        guard logsEvaluations else { return evaluation }
        logger.info("step \(state.step): \(evaluation.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: ", "))")
        return evaluation
    }

    /// The protocol line of model selection.
    var selectionDescription: String {
        guard let validation else { return "model selection: none (the parameters after the last step; no validation rows)" }
        guard let rule = configuration.earlyStopping else { return "model selection: none (the last parameters); \(validation.description)" }
        return "model selection: early stopping on \(rule.metric ?? "the primary metric") (patience \(rule.patience))\(rule.restoreBest ? ", best parameters restored" : ""); \(validation.description)"
    }

    /// Whether early stopping fires after this evaluation; keeps the best parameters.
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
        if rule.restoreBest {
            bestParameters = Dictionary(uniqueKeysWithValues: model.namedState().map { ($0.name, $0.tensor.scalars) })
        }
        return false
    }

    private func restore(_ parameters: [String: [Float]]) {
        for (name, parameter) in model.namedState() {  // parameters and buffers (BatchNorm statistics)
            guard let values = parameters[name] else { continue }
            parameter.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: values) }
        }
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
