import ArgumentParser
import Foundation
import FunnelData
import FunnelSimulation
import FunnelTensor

/// `funnel simulate SCENARIO …`: a simulated world that knows its ground truth.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a world with known ground truth and write it as a dataset folder.",
        discussion: """
            Writes schema.json and the binary dataset (train and test split by date); truth columns (role "truth") sit beside the observed ones. The same seed and knobs give the same bytes. Knobs override defaults: --knob attentionBias=false --knob portalHabitMean=-1; a preset sets several at once, before the --knob overrides (homepage: --preset first-worlds, the worlds before issue 15). List a scenario's knobs, their defaults and rationale with --list-knobs.

            Example: funnel simulate homepage --users 20000 --days 14 --seed 1 --out data/homepage
            """)

    @Argument(help: "The scenario.")
    var scenario: ScenarioKind

    @Option(help: "Users to simulate.")
    var users = 10_000

    @Option(help: "Days to simulate (the last ones form the evaluation split).")
    var days = 14

    @Option(help: "The seed.")
    var seed: UInt64 = 1

    @Option(help: "The output folder.")
    var out: String?

    @Option(name: .customLong("knob"), help: "A knob override, name=value (repeatable).")
    var knobs: [String] = []

    @Option(help: "A named set of knobs, applied before the --knob overrides (homepage: first-worlds).")
    var preset: String?

    @Option(help: "Threads.")
    var threads = 2

    @Flag(help: "Print the scenario's knobs, defaults and rationale, and exit.")
    var listKnobs = false

    func run() throws {
        if listKnobs {
            for knob in scenario.knobDocumentation {
                print("\(knob.name) = \(knob.value)\n    \(knob.rationale)")
            }
            return
        }
        guard let out else { throw ValidationError("--out is required") }
        var overrides: [String: String] = [:]
        if let preset {
            guard let knobs = scenario.presets[preset] else {
                let known = scenario.presets.keys.sorted().joined(separator: ", ")
                throw ValidationError("--preset \(preset): \(scenario.rawValue) has \(known.isEmpty ? "no presets" : "the presets \(known)")")
            }
            overrides = knobs
        }
        for knob in knobs {
            let parts = knob.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--knob \(knob): expected name=value") }
            overrides[parts[0]] = parts[1]
        }
        Compute.threadCount = threads
        let start = Date()
        let world = try scenario.simulate(users: users, days: days, seed: seed, knobs: overrides)
        let simulated = Date()
        try AtomicFile.createDirectory(out)
        try world.write(to: out)
        let written = Date()
        let seconds = written.timeIntervalSince(start)
        print("\(scenario.rawValue): \(world.summary) in \(String(format: "%.2f", seconds)) s (simulate \(String(format: "%.2f", simulated.timeIntervalSince(start))) s, write \(String(format: "%.2f", written.timeIntervalSince(simulated))) s): \(String(format: "%.2f", Double(world.exposureCount) / seconds / 1e6))M rows/s → \(out)")
    }
}

extension ScenarioKind: ExpressibleByArgument {}
