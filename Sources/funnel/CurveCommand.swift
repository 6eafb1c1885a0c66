import ArgumentParser
import Foundation
import FunnelData
import FunnelSimulation
import FunnelTensor
import FunnelTraining

/// `funnel curve --config FILE`: an experiment repeated on simulated worlds of growing size
/// (``LearningCurve``), reported as tables and charts against the amount of data.
struct CurveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curve",
        abstract: "Learning curves: an experiment on simulated worlds of several sizes, each seed on its own world.",
        discussion: """
            The configuration holds "scenario" (as for funnel simulate), "knobs" (name → value, as strings), "sizes" ([{"users": 5000, "days": 14}, …]), "reference" (the model differences are taken against; default the first), "keepWorlds" (default false) and "experiment" (as for funnel experiment; its training.data is each world's folder, its seeds draw the worlds and the models, its output gets curve.md, curve.json and one SVG chart per metric).

            Example: funnel curve --config Examples/homepage-curve.json
            """)

    @Option(help: "The configuration (JSON).") var config: String

    func run() throws {
        bootstrapLogging(level: .warning)
        let configuration = try LearningCurveConfiguration.read(config)
        guard let scenario = ScenarioKind(rawValue: configuration.scenario) else {
            throw ValidationError(
                "\(config): field 'scenario': '\(configuration.scenario)' is not a scenario (expected one of \(ScenarioKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let start = Date()
        let result = try LearningCurve.run(configuration) { size, seed, folder in
            Compute.threadCount = configuration.experiment.training.threads
            let world = try scenario.simulate(users: size.users, days: size.days, seed: seed, knobs: configuration.knobs)
            try world.write(to: folder)
        } log: { line in
            FileHandle.standardError.write(Data(String(format: "[%6.1f s] %@\n", Date().timeIntervalSince(start), line).utf8))
        }
        let files = try LearningCurveReport.write(result, to: configuration.experiment.output)
        print(LearningCurveReport.markdown(result))
        print("wrote " + files.joined(separator: ", "))
    }
}
