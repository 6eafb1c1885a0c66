import ArgumentParser
import Foundation
import FunnelBenchmarks
import FunnelModels

/// `funnel models`: every model with its inputs and a one-line description; with `--bench`,
/// every model's training speed.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "List the models and their default configurations (--bench: their training speed).",
        discussion: """
            With --bench, each registry model (or each --model) is built with its test fixture (the simulated world and small configuration the model-zoo test trains it on), on that world simulated at --users users and --days days, and trained with its own training step and Adam: --warmup untimed steps, then 3 blocks of --steps steps. The table gives the median block's samples/s with the slowest and fastest, the mean rows per batch, the growth of peak resident memory and the parameter count. The whole registry takes under half a minute on 2 cores.

            Example: funnel models --bench --threads 2 --steps 10 --model mmoe usd
            """)

    @Flag(help: "Measure each model's training samples/s instead of listing the models.")
    var bench = false

    @Option(name: .customLong("model"), parsing: .upToNextOption, help: "Models to measure (default: every registry model).")
    var models: [ModelKind] = []

    @Option(help: "Compute threads.")
    var threads = 2

    @Option(help: "Timed steps per block (3 blocks).")
    var steps = 30

    @Option(help: "Untimed warm-up steps.")
    var warmup = 3

    @Option(help: "Rows per batch.")
    var batchSize = 1024

    @Option(help: "Users of each simulated fixture world.")
    var users = 4000

    @Option(help: "Days of each simulated fixture world.")
    var days = 4

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard bench || (models.isEmpty && !json) else { throw ValidationError("--model and --json go with --bench") }
        guard threads > 0, steps > 0, warmup >= 0, batchSize > 0, users > 0, days > 0 else {
            throw ValidationError("--threads, --steps, --batch-size, --users and --days must be positive, --warmup not negative")
        }
    }

    func run() throws {
        guard bench else {
            for kind in ModelKind.allCases {
                print("\(kind.rawValue)\n    \(kind.summary)\n    configuration: \(kind.defaultConfiguration)")
            }
            return
        }
        var options = ModelSpeedBenchmark.Options()
        if !models.isEmpty { options.models = models }
        options.threads = threads
        options.steps = steps
        options.warmupSteps = warmup
        options.batchSize = batchSize
        options.users = users
        options.days = days
        options.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let results = try ModelSpeedBenchmark.run(options)
        print(json ? try encodeJSON(results) : ModelSpeedBenchmark.table(results, options: options))
    }
}
