import Foundation
import Testing

@testable import FunnelData

@Suite struct ESMMDumpConverterTests {
    /// A dump as `torch_esmm.py --dump` writes it: `rows` rows, click on odd rows, conversion on
    /// rows that are odd and divisible by 3.
    static func dump(rows: Int) -> String {
        let header =
            (0..<20).map { "f\($0)" } + (0..<40).map { "d\($0)" } + [
                "click", "conversion", "true_ctr", "true_ctcvr",
            ]
        var lines = [header.joined(separator: ",")]
        for row in 0..<rows {
            let ids = ESMMDumpConverter.vocabularySizes.enumerated().map { field, size in
                String((row * 7 + field) % size)
            }
            let dense = (0..<40).map { _ in "-0.555883" }
            let click = row % 2, conversion = row % 2 == 1 && row % 3 == 0 ? 1 : 0
            lines.append(
                (ids + dense + ["\(click)", "\(conversion)", "0.14628", "0.0484512"]).joined(
                    separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func linksTheFilesAndWritesOnlyTheSchema() throws {
        let scratch = try ScratchFolder()
        let train = try scratch.write("dump/train.csv", Self.dump(rows: 12))
        try scratch.write("dump/test.csv", Self.dump(rows: 5))
        let output = scratch.path + "/canonical"
        let report = try DatasetConverter.convert(
            .esmmDump, source: scratch.path + "/dump", output: output)
        #expect(report.split("train")?.rows == 12)
        #expect(report.split("train")?.label("click")?.positives == 6)
        #expect(report.split("train")?.label("conversion")?.positives == 2)
        #expect(report.split("test")?.rows == 5)
        #expect(report.split("test")?.label("conversion")?.rate == 0.2)
        // Hard-linked, not copied: the same inode.
        let source =
            try FileManager.default.attributesOfItem(atPath: train)[.systemFileNumber] as? Int
        let linked =
            try FileManager.default.attributesOfItem(atPath: output + "/train.csv")[
                .systemFileNumber] as? Int
        #expect(source != nil && source == linked)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: output).sorted() == [
                "schema.json", "test.csv", "train.csv",
            ])

        let dataset = try Dataset.load(output, cache: .ignore)
        let summary = DatasetSummary(dataset)
        let trainTable = try #require(summary.tables.first { $0.name == "train" })
        #expect(trainTable.rows == 12)
        #expect(trainTable.columns.first { $0.name == "click" }?.positiveRate == 0.5)
        #expect(dataset.schema.labels == ["click", "conversion"])
        #expect(
            dataset.schema.columns.filter { $0.role == .truth }.map(\.name) == [
                "true_ctr", "true_ctcvr",
            ])
        #expect(dataset.vocabulary(for: "f19")?.size == 100_000)
        #expect(dataset.vocabulary(for: "f0")?.size == 10)

        // Converting again over the same folder keeps the link and succeeds.
        #expect(
            try DatasetConverter.convert(.esmmDump, source: scratch.path + "/dump", output: output)
                == report)
    }

    @Test func rejectsALabelThatIsNotZeroOrOneNamingTheLine() throws {
        let scratch = try ScratchFolder()
        var text = Self.dump(rows: 4)
        text = text.replacingOccurrences(of: ",1,0,0.14628", with: ",2,0,0.14628")
        try scratch.write("dump/train.csv", text)
        try scratch.write("dump/test.csv", Self.dump(rows: 1))
        #expect {
            try DatasetConverter.convert(
                .esmmDump, source: scratch.path + "/dump", output: scratch.path + "/out")
        } throws: { error in
            "\(error)".hasSuffix("dump/train.csv:3:61 (column 'click'): found '2', expected 0 or 1")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/out/schema.json"))
    }

    @Test func rejectsAnotherHeaderAndLeavesShortRowsToTheLoader() throws {
        let scratch = try ScratchFolder()
        try scratch.write(
            "dump/train.csv",
            Self.dump(rows: 2).replacingOccurrences(of: "true_ctcvr", with: "oracle"))
        try scratch.write("dump/test.csv", Self.dump(rows: 1))
        #expect(throws: DataError.self) {
            try DatasetConverter.convert(
                .esmmDump, source: scratch.path + "/dump", output: scratch.path + "/out")
        }
        // A row short of a dense field converts (only the labels are read then) and is refused,
        // with its line, when the folder is loaded.
        try scratch.write(
            "dump/train.csv",
            Self.dump(rows: 3).replacingOccurrences(of: ",-0.555883,0,0,", with: ",0,0,"))
        try DatasetConverter.convert(
            .esmmDump, source: scratch.path + "/dump", output: scratch.path + "/out")
        #expect {
            try Dataset.load(scratch.path + "/out", cache: .ignore)
        } throws: { error in
            "\(error)".hasSuffix("out/train.csv:2: found 63 fields, expected 64")
        }
    }
}
