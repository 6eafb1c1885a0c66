import ArgumentParser
import Foundation
import FunnelData

extension DataCommand {
    struct Sequences: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split an interaction log into leave-one-out sequence datasets (SASRec's protocol).",
            discussion: """
                Per user, interactions are sorted by time (ties keep file order); the last item is the test target, the second to last the validation target, the rest the training sequence. Users with fewer than --minimum-interactions go entirely to train and are not evaluated. Every row of the file is an interaction (ratings are implicit feedback here). Writes train/validation/test.csv (columns user, items, times, target, target_time, interacted), items.csv (id,raw) and schema.json, then compiles the binary cache.

                Example: funnel data sequences --interactions ../shared/data/movielens-latest-small/ratings.csv --output data/movielens-sequences --user userId --item movieId --time timestamp
                """)

        @Option(help: "The interaction file: CSV (or TSV) with a header.")
        var interactions: String

        @Option(help: "The output folder (created).")
        var output: String

        @Option(help: "The header name of the user column.")
        var user = "user"

        @Option(help: "The header name of the item column.")
        var item = "item"

        @Option(help: "The header name of the time column (integer seconds).")
        var time = "timestamp"

        @Option(help: "The least number of interactions of an evaluated user (SASRec: 3; the RoTE code: 4).")
        var minimumInteractions = 3

        func validate() throws {
            guard minimumInteractions >= 3 else {
                throw ValidationError("--minimum-interactions must be at least 3 (an evaluated user keeps a training interaction)")
            }
        }

        func run() throws {
            let log = try LeaveOneOutSequences.readInteractions(
                path: interactions, userColumn: user, itemColumn: item, timeColumn: time)
            let sequences = try LeaveOneOutSequences(interactions: log, minimumInteractions: minimumInteractions)
            let dataset = try sequences.write(
                to: output, name: URL(fileURLWithPath: output).lastPathComponent, source: interactions)
            print("\(interactions) -> \(output)")
            print(sequences.report.text)
            for split in LeaveOneOutSequences.Split.allCases {
                print("  split \(split.rawValue): \((try dataset.split(split.rawValue)).rowCount) rows")
            }
        }
    }
}
