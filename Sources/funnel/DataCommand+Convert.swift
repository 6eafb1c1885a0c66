import ArgumentParser
import FunnelData

extension DataCommand {
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a public dataset (or torch_esmm.py's dump) to a canonical dataset folder.",
            discussion: """
                Each set keeps its own splits; the schema's notes record the source, the licence and every change.

                Example: funnel data convert --format coat ../shared/data/coat data/coat
                """)

        @Option(help: "The source format.")
        var format: DatasetFormat

        @Argument(help: "The source folder.")
        var source: String

        @Argument(help: "The output folder (created).")
        var output: String

        func run() throws {
            let report = try DatasetConverter.convert(format, source: source, output: output)
            print(report.text)
        }
    }
}

extension DatasetFormat: ExpressibleByArgument {}
