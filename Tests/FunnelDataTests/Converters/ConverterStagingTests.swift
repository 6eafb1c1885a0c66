import Foundation
import Testing

@testable import FunnelData

/// A conversion that fails on a later file leaves no half-written dataset: everything is
/// written into a staging folder beside the output and moved into place at the end.
@Suite struct ConverterStagingTests {
    /// A dump whose train.csv is fine and whose test.csv has a click of 2 on line 3.
    static func badDump(in scratch: ScratchFolder) throws -> String {
        try scratch.write("dump/train.csv", ESMMDumpConverterTests.dump(rows: 6))
        var lines = ESMMDumpConverterTests.dump(rows: 4).components(separatedBy: "\n")
        var fields = lines[2].components(separatedBy: ",")
        fields[60] = "2"
        lines[2] = fields.joined(separator: ",")
        try scratch.write("dump/test.csv", lines.joined(separator: "\n"))
        return scratch.path + "/dump"
    }

    static func entries(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? []
    }

    @Test func aFailureOnALaterFileLeavesNoOutputAndNoStagingFolder() throws {
        let scratch = try ScratchFolder()
        let source = try Self.badDump(in: scratch)
        let output = scratch.path + "/out/esmm"
        #expect {
            try DatasetConverter.convert(.esmmDump, source: source, output: output)
        } throws: { error in
            error is DataError && "\(error)".contains("test.csv:3")
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(Self.entries(scratch.path + "/out") == [])
    }

    @Test func aFailureLeavesAnExistingDatasetUntouched() throws {
        let scratch = try ScratchFolder()
        try scratch.write("good/train.csv", ESMMDumpConverterTests.dump(rows: 6))
        try scratch.write("good/test.csv", ESMMDumpConverterTests.dump(rows: 3))
        let output = scratch.path + "/out"
        try DatasetConverter.convert(.esmmDump, source: scratch.path + "/good", output: output)
        try scratch.write("out/notes.txt", "mine")
        let before = try Self.entries(output).map { name in
            (name, try Data(contentsOf: URL(fileURLWithPath: output + "/" + name)))
        }
        let source = try Self.badDump(in: scratch)
        #expect(throws: DataError.self) { try DatasetConverter.convert(.esmmDump, source: source, output: output) }
        let after = try Self.entries(output).map { name in
            (name, try Data(contentsOf: URL(fileURLWithPath: output + "/" + name)))
        }
        #expect(before.map(\.0) == after.map(\.0) && before.map(\.1) == after.map(\.1))
        #expect(Self.entries(scratch.path).filter { $0.hasPrefix(".") } == [])
        // A successful conversion into the existing folder replaces its files and keeps others.
        let report = try DatasetConverter.convert(.esmmDump, source: scratch.path + "/good", output: output + "/")
        #expect(report.split("test")?.rows == 3)
        #expect(Self.entries(output) == ["notes.txt", "schema.json", "test.csv", "train.csv"])
        #expect(Self.entries(scratch.path).filter { $0.hasPrefix(".") } == [])
        #expect(try Dataset.load(output, cache: .ignore).split("train").rowCount == 6)
    }

    @Test func anOutputThatIsAFileIsRefused() throws {
        let scratch = try ScratchFolder()
        try scratch.write("good/train.csv", ESMMDumpConverterTests.dump(rows: 2))
        try scratch.write("good/test.csv", ESMMDumpConverterTests.dump(rows: 2))
        let output = try scratch.write("file", "x")
        #expect { try DatasetConverter.convert(.esmmDump, source: scratch.path + "/good", output: output) } throws: { error in
            "\(error)".contains("not a folder")
        }
        #expect(Self.entries(scratch.path) == ["file", "good"])
    }
}
