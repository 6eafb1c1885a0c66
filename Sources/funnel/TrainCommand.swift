import ArgumentParser
import Foundation
import FunnelData
import FunnelDistributed
import FunnelModels
import FunnelNN
import FunnelTraining

/// `funnel train --config FILE`: one run, with progress, evaluation and checkpoints.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model from a JSON configuration (flags override its fields).",
        discussion: """
            A configuration names the data, the model and its configuration, the optimizer, epochs, batch size, evaluation, early stopping, seed, threads and checkpoints. Unknown fields and wrong types are refused with the field's name. The data path is stored absolute in the checkpoints. Without a checkpointDirectory (or --checkpoint-directory) no model is saved.

            Example: funnel train --config train.json --epochs 2 --checkpoint-directory runs/lr
            """)

    @Option(help: "The configuration (JSON).")
    var config: String

    @Flag(help: "Continue from the newest valid checkpoint of the checkpoint directory (damaged ones are skipped and named). Without it, a checkpoint directory that holds anything is refused.")
    var resume = false

    @Option(help: "Override: epochs.") var epochs: Int?
    @Option(help: "Override: batch size.") var batchSize: Int?
    @Option(help: "Override: seed.") var seed: UInt64?
    @Option(help: "Override: threads.") var threads: Int?
    @Option(help: "Override: learning rate.") var learningRate: Float?
    @Option(help: "Override: checkpoint directory.") var checkpointDirectory: String?
    @Option(help: "Override: the dataset folder.") var data: String?
    @Option(help: "Override: the model.") var model: ModelKind?
    @Option(help: "Under mpirun, which embedding tables of the categorical fields are split by rows over the ranks (lookups and gradient rows exchanged all-to-all, each row's optimizer state on its rank): auto (those that would not fit --memory-budget whole), all, none.")
    var shardEmbeddings: EmbeddingSharding.Mode = .auto
    @Option(help: "The MiB of embedding tables, with their optimizer state, one rank (or a process alone) may hold; a run over it is refused, naming the ranks it would need.")
    var memoryBudget: Double?

    func run() throws {
        bootstrapLogging()
        var configuration = try TrainingConfiguration.read(config)
        if let epochs { configuration.epochs = epochs }
        if let batchSize { configuration.batchSize = batchSize }
        if let seed { configuration.seed = seed }
        if let threads { configuration.threads = threads }
        if let learningRate { configuration.optimizer.learningRate = learningRate }
        if let checkpointDirectory { configuration.checkpointDirectory = checkpointDirectory }
        if let data { configuration.data = data }
        if let model { configuration.model = model }
        if let memoryBudget, !(memoryBudget > 0) {
            throw ValidationError("--memory-budget: \(memoryBudget) is not a number of MiB above 0")
        }
        // Launched by mpirun as one rank of several: data parallel, rank 0 reporting.
        let communicator = try Communicator.world(environment: ProcessInfo.processInfo.environment)
        defer { communicator?.finish() }
        let trainer = try Trainer(
            configuration: configuration, communicator: communicator,
            embeddings: EmbeddingPlacement(mode: shardEmbeddings, memoryBudgetBytes: memoryBudget.map { Int($0 * 1_048_576) }))
        if configuration.checkpointDirectory == nil && trainer.isLead {
            FileHandle.standardError.write(
                Data("note: the configuration has no checkpointDirectory: no model will be saved (pass --checkpoint-directory DIR to keep one)\n".utf8))
        }
        if resume { try trainer.resume() }
        guard trainer.isLead else {
            trainer.logsEvaluations = false
            try trainer.train()
            return
        }
        let display = ProgressDisplay()
        trainer.progress = display.show
        trainer.logsEvaluations = !display.isTerminal
        printEvaluation(try trainer.train())
        if let communicator {
            let sent = trainer.exchangedBytesPerStep
            print(String(
                format: "data parallel over %d ranks: %.0f samples/s in training steps; sent per rank per step: %.1f KiB of dense gradients, %.1f KiB of embedding rows",
                communicator.size, trainer.globalSamplesPerSecond, sent.dense / 1024, sent.sparse / 1024))
            let placement = trainer.embeddingPlacement
            let sharded = placement.placements.filter(\.sharded)
            if !sharded.isEmpty {
                print(String(
                    format: "embedding tables: %d of %d split over the ranks (%@); %.1f MiB per rank with optimizer state; sent per rank per step for them: %.1f KiB of lookups, %.1f KiB of gradient rows",
                    sharded.count, placement.placements.count, sharded.map { "\($0.rows) × \($0.dimensions)" }.joined(separator: ", "),
                    Double(placement.bytesPerRank) / 1_048_576, sent.lookups / 1024, sent.shardGradients / 1024))
            }
        }
    }
}

/// `funnel evaluate --checkpoint DIR`: the metrics of a checkpoint on a split.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a checkpoint on a split.",
        discussion: "Example: funnel evaluate --checkpoint runs/lr/step-000000977 --split test --json")

    @Option(help: "A checkpoint folder (or a checkpoint directory: its newest).") var checkpoint: String
    @Option(help: "The split (default: the run's evaluation split).") var split: String?
    @Option(help: "A dataset folder to evaluate instead of the one the run trained on.") var data: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let trained = try TrainedModel.load(checkpoint: checkpoint, data: data)
        // Under mpirun the ranks share the forward passes; rank 0 prints.
        let communicator = try Communicator.world(environment: ProcessInfo.processInfo.environment)
        defer { communicator?.finish() }
        let evaluation = try trained.evaluate(split: split, communicator: communicator)
        guard communicator?.isLead ?? true else { return }
        if json {
            print(try encodeJSON(evaluation.metrics))
        } else {
            print("checkpoint \(trained.checkpoint)")
            printEvaluation(evaluation)
        }
    }
}

/// `funnel predict --checkpoint DIR --out FILE`: scores as CSV.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Write a checkpoint's scores for a split as CSV (row,group,label,score).",
        discussion: "Example: funnel predict --checkpoint runs/lr --split test --out scores.csv")

    @Option(help: "A checkpoint folder (or a checkpoint directory: its newest).") var checkpoint: String
    @Option(help: "The split (default: the run's evaluation split).") var split: String?
    @Option(help: "A dataset folder to score instead of the one the run trained on.") var data: String?
    @Option(help: "The CSV file to write.") var out: String

    func run() throws {
        let trained = try TrainedModel.load(checkpoint: checkpoint, data: data)
        let evaluation = try Predictor.write(
            model: trained.model, dataset: trained.dataset, split: split ?? trained.configuration.evaluationSplit, to: out)
        print("wrote \(evaluation.scores.count) scores to \(out)")
    }
}

/// The protocol lines and every metric, one per line.
func printEvaluation(_ evaluation: Evaluation) {
    for line in evaluation.protocolDescription { print(line) }
    for (name, value) in evaluation.metrics.sorted(by: { $0.key < $1.key }) {
        print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%.6f", value))
    }
}

/// `funnel experiment --config FILE`: models × seeds, a table, JSON, Markdown and charts.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment", abstract: "Train several models with several seeds and report mean ± std.",
        discussion: """
            The configuration holds "training" (as for funnel train), "models", optional "modelConfigurations" by model name, "seeds" and "output" (a folder for experiment.txt/.json/.md and the SVG charts).

            Example: funnel experiment --config experiment.json
            """)

    @Option(help: "The configuration (JSON).") var config: String

    func run() throws {
        bootstrapLogging(level: .warning)
        let configuration = try ExperimentConfiguration.read(config)
        let result = try ExperimentRunner.run(configuration) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        try AtomicFile.createDirectory(configuration.output)
        let files = try ExperimentReport.write(result, to: configuration.output)
        print(ExperimentReport.table(result))
        print("wrote " + files.joined(separator: ", "))
    }
}

extension ModelKind: ExpressibleByArgument {}
extension EmbeddingSharding.Mode: ExpressibleByArgument {}
