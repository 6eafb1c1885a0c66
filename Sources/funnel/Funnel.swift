import ArgumentParser

/// The version `funnel --version` prints.
let funnelVersion = "0.1.0"

/// The `funnel` command-line tool: every subcommand is a thin layer over a public library API.
@main
struct Funnel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funnel",
        abstract: "Learn debiased recommendation models from exposure logs.",
        discussion: """
            Examples:
              funnel bench gemm            GEMM GFLOP/s on 1 and 2 threads, against OpenBLAS
              funnel bench gemm --json     the same as JSON
            """,
        version: funnelVersion,
        subcommands: [
            SimulateCommand.self, DataCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self,
            ExperimentCommand.self, ModelsCommand.self, MetricsCommand.self, OffPolicyCommand.self, LanguageModelCommand.self, ServeCommand.self,
            ExportCommand.self, ECPOCommand.self, BenchCommand.self, DemoCommand.self, CurveCommand.self, DistributedCommand.self,
        ])
}
