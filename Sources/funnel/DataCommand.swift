import ArgumentParser
import FunnelData
import Foundation

/// `funnel data …`: dataset folders — compile, inspect, convert, split into sequences.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Compile, inspect and convert dataset folders (schema.json + tables).",
        subcommands: [Convert.self, Sequences.self, WatchTime.self, SemanticIDsCommand.self, Compile.self, Inspect.self])
}

extension DataCommand {
    struct Compile: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse a dataset folder's text tables and write its binary cache.",
            discussion: "Example: funnel data compile data/esmm")

        @Argument(help: "The dataset folder (holding schema.json).")
        var directory: String

        func run() throws {
            let start = Date()
            let dataset = try Dataset.compile(directory)
            let seconds = Date().timeIntervalSince(start)
            for report in dataset.reports {
                print(report.summary)
                for error in report.errors { print("  " + error) }
            }
            print("wrote \(Dataset.cachePath(directory)) in \(String(format: "%.2f", seconds)) s")
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rows, label rates, per-column statistics and vocabulary sizes of a dataset.",
            discussion: "Example: funnel data inspect data/esmm --json")

        @Argument(help: "The dataset folder (holding schema.json).")
        var directory: String

        @Flag(help: "Print JSON instead of text.")
        var json = false

        @Flag(help: "Parse the text tables even when a valid binary cache exists.")
        var ignoreCache = false

        func run() throws {
            let start = Date()
            let dataset = try Dataset.load(directory, cache: ignoreCache ? .ignore : .useOrRebuild) { reason in
                FileHandle.standardError.write(Data("rebuilding the cache: \(reason)\n".utf8))
            }
            let seconds = Date().timeIntervalSince(start)
            let summary = DatasetSummary(dataset)
            if json {
                print(try encodeJSON(summary))
            } else {
                print(summary.text)
                print("\nloaded in \(String(format: "%.2f", seconds)) s")
            }
        }
    }
}
