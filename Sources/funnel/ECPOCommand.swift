import ArgumentParser
import Foundation
import FunnelConversation

/// `funnel ecpo run`: ECPO end to end (issue 23, conversational.md).
struct ECPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecpo",
        abstract: "Conversational recommendation: the AILO simulator, the ActCRS agent, SGPT and ECPO (issue 23).",
        discussion: """
            A run folder holds every stage's output as a file (personas, item embeddings, dialogues, SFT and preference data in LLaMA-Factory and TRL formats, adapters, judgements, report.md/json, satisfaction.svg); a rerun skips finished stages and resumes a dialogue stage after its last finished dialogue.

            Examples:
              funnel ecpo run --config Examples/ecpo-movielens.json
              funnel ecpo run --config Examples/ecpo-movielens.json --through rollouts
            """,
        subcommands: [Run.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run (or resume) every stage and write the report.")

        @Option(help: "The run's JSON configuration (fields over the defaults; see docs/ecpo.md).")
        var config: String

        @Option(help: "Stop after this stage: \(ECPOStage.allCases.map(\.rawValue).joined(separator: ", ")).")
        var through: String = ECPOStage.report.rawValue

        @Flag(help: "Print nothing but the report's path.")
        var quiet = false

        func run() throws {
            guard let last = ECPOStage(rawValue: through) else {
                throw ValidationError("--through: \"\(through)\"; expected one of \(ECPOStage.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let configuration = try ECPOConfiguration.load(path: config)
            let quiet = quiet
            let pipeline = ECPOPipeline(configuration: configuration) { line in
                if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
            if let report = try pipeline.run(through: last) {
                if !quiet { print(report.markdown) }
                print("report: \(configuration.output)/report.md")
            }
        }
    }
}
