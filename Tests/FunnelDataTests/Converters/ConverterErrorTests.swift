import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelData

/// Malformed sources stop a conversion with an error naming the file, the line and the column,
/// and leave no `schema.json` behind.
@Suite struct ConverterErrorTests {
    /// A copy of a kept dataset's folder in a scratch folder, with `edit` applied to one file.
    static func copy(
        _ format: DatasetFormat, editing file: String, _ edit: (String) -> String
    ) throws -> (ScratchFolder, String) {
        let scratch = try ScratchFolder()
        let source = scratch.path + "/source"
        try FileManager.default.copyItem(
            atPath: try SharedDataFolder.folder(for: format), toPath: source)
        // The shared files are read-only; the copies must be editable and removable.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: source)
        for case let name as String in FileManager.default.enumerator(atPath: source)! {
            let path = source + "/" + name
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            try FileManager.default.setAttributes(
                [.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644], ofItemAtPath: path)
        }
        let path = source + "/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try FileManager.default.removeItem(atPath: path)
        try edit(text).write(toFile: path, atomically: false, encoding: .utf8)
        return (scratch, source)
    }

    /// Replaces the `field`-th comma-separated field (1-based) of line `line` (1-based).
    static func replacing(line: Int, field: Int, with value: String) -> (String) -> String {
        { text in
            var lines = text.components(separatedBy: "\n")
            var fields = lines[line - 1].components(separatedBy: ",")
            fields[field - 1] = value
            lines[line - 1] = fields.joined(separator: ",")
            return lines.joined(separator: "\n")
        }
    }

    static func expectFailure(
        _ format: DatasetFormat, source: String, output: String, endingWith message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(sourceLocation: sourceLocation) {
            try DatasetConverter.convert(format, source: source, output: output)
        } throws: { error in
            error is DataError && "\(error)".hasSuffix(message)
        }
        #expect(
            !FileManager.default.fileExists(atPath: output + "/schema.json"),
            sourceLocation: sourceLocation)
    }

    @Test(.needsSharedData) func aBadIdNamesFileLineAndColumn() throws {
        let (scratch, source) = try Self.copy(
            .aliCCP, editing: "ali_ccp_val_sample.csv",
            Self.replacing(line: 5, field: 13, with: "x7"))
        Self.expectFailure(
            .aliCCP, source: source, output: scratch.path + "/out",
            endingWith:
                "ali_ccp_val_sample.csv:5:13 (column '206'): found 'x7', expected an integer")
    }

    @Test(.needsSharedData) func aPurchaseWithoutAClickIsRefused() throws {
        let (scratch, source) = try Self.copy(
            .aliCCP, editing: "ali_ccp_train_sample.csv",
            Self.replacing(line: 2, field: 2, with: "1"))
        Self.expectFailure(
            .aliCCP, source: source, output: scratch.path + "/out",
            endingWith:
                "ali_ccp_train_sample.csv:2:2 (column 'purchase'): found '1', expected 0 when click is 0 (purchase implies click)"
        )
    }

    @Test(.needsSharedData) func aShortRowNamesItsLine() throws {
        let (scratch, source) = try Self.copy(.kuaiRand, editing: "kuairand_1k_sample.csv") {
            text in
            var lines = text.components(separatedBy: "\n")
            lines[9] = lines[9].components(separatedBy: ",").dropLast().joined(separator: ",")
            return lines.joined(separator: "\n")
        }
        Self.expectFailure(
            .kuaiRand, source: source, output: scratch.path + "/out",
            endingWith: "kuairand_1k_sample.csv:10: found 41 fields, expected 42")
    }

    @Test(.needsSharedData) func aRatingOutsideOneToFiveIsRefused() throws {
        let (scratch, source) = try Self.copy(.coat, editing: "test.ascii") { text in
            var lines = text.components(separatedBy: "\n")
            var values = lines[2].components(separatedBy: " ")
            values[4] = "7"
            lines[2] = values.joined(separator: " ")
            return lines.joined(separator: "\n")
        }
        Self.expectFailure(
            .coat, source: source, output: scratch.path + "/out",
            endingWith: "test.ascii:3:5: found '7', expected a rating in 0...5 (0 = not rated)")
    }

    @Test(.needsSharedData, arguments: ["0", "-0.25", "1.5"])  // NaN: refused as "a number"
    func aPropensityOutsideZeroToOneIsRefused(value: String) throws {
        let (scratch, source) = try Self.copy(.coat, editing: "propensities.ascii") { text in
            var lines = text.components(separatedBy: "\n")
            var values = lines[4].components(separatedBy: " ")
            values[6] = value
            lines[4] = values.joined(separator: " ")
            return lines.joined(separator: "\n")
        }
        Self.expectFailure(
            .coat, source: source, output: scratch.path + "/out",
            endingWith: "propensities.ascii:5:7: found '\(value)', expected a propensity in (0, 1]")
    }

    /// The Open Bandit layout with the item tables and the first `rows` rows of every log.
    static func smallOpenBandit(rows: Int, in scratch: ScratchFolder) throws -> String {
        let shared = try SharedDataFolder.folder(for: .openBandit)
        for policy in ["random", "bts"] {
            for campaign in ["all", "men", "women"] {
                let folder = "\(policy)/\(campaign)/"
                let items = try String(
                    contentsOfFile: shared + "/" + folder + "item_context.csv", encoding: .utf8)
                try scratch.write("obd/" + folder + "item_context.csv", items)
                let handle = try #require(
                    FileHandle(forReadingAtPath: shared + "/" + folder + campaign + ".csv"))
                let head = String(
                    decoding: try #require(try handle.read(upToCount: 1 << 16)), as: UTF8.self)
                try handle.close()
                let lines = head.split(separator: "\n", omittingEmptySubsequences: false).prefix(
                    rows + 1)
                try scratch.write(
                    "obd/" + folder + campaign + ".csv", lines.joined(separator: "\n") + "\n")
            }
        }
        return scratch.path + "/obd"
    }

    @Test(.needsSharedData) func aTimeWithAnotherZoneIsRefused() throws {
        let scratch = try ScratchFolder()
        let source = try Self.smallOpenBandit(rows: 5, in: scratch)
        let report = try DatasetConverter.convert(
            .openBandit, source: source, output: scratch.path + "/out")
        #expect(report.splits.map(\.rows) == [15, 15])
        let path = source + "/bts/men/men.csv"
        // A time without a zone is read as UTC; a local offset is refused.
        for (time, accepted) in [
            ("2019-11-24 00:01:03", true), ("2019-11-24 00:01:03+09:00", false),
        ] {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try Self.replacing(line: 4, field: 2, with: time)(text).write(
                toFile: path, atomically: false, encoding: .utf8)
            if accepted {
                _ = try DatasetConverter.convert(
                    .openBandit, source: source, output: scratch.path + "/accepted")
            } else {
                Self.expectFailure(
                    .openBandit, source: source, output: scratch.path + "/refused",
                    endingWith:
                        "bts/men/men.csv:4:2 (column 'timestamp'): found '2019-11-24 00:01:03+09:00', "
                        + "expected a UTC time YYYY-MM-DD HH:MM:SS[.ffffff][+00:00]")
            }
        }
    }

    @Test(.needsSharedData) func aWrongAffinityCountIsRefused() throws {
        let scratch = try ScratchFolder()
        let source = try Self.smallOpenBandit(rows: 3, in: scratch)
        let path = source + "/random/women/women.csv"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try Self.replacing(line: 3, field: 13, with: "0.5")(text).write(
            toFile: path, atomically: false, encoding: .utf8)
        Self.expectFailure(
            .openBandit, source: source, output: scratch.path + "/out",
            endingWith: "random/women/women.csv:3:13 (column 'user-item_affinity_2'): found '0.5', "
                + "expected a whole affinity count in 0...1000")
    }

    @Test func aCorruptGzipFileIsReportedWithItsPath() throws {
        let scratch = try ScratchFolder()
        try scratch.write("census/census-income.test.gz", "not gzip data")
        #expect {
            try DatasetConverter.convert(
                .censusIncome, source: scratch.path + "/census", output: scratch.path + "/out")
        } throws: { error in
            "\(error)".contains("census-income.test.gz: cannot be read: gzip -dc failed")
        }
    }

    @Test func aMissingSourceFolderIsNamed() throws {
        let scratch = try ScratchFolder()
        #expect(
            throws: DataError.unreadable(
                path: scratch.path + "/nowhere", reason: "no such folder (the coat source)")
        ) {
            try DatasetConverter.convert(
                .coat, source: scratch.path + "/nowhere", output: scratch.path + "/out")
        }
    }

    @Test(.needsSharedData) func aDamagedCanonicalFileIsReportedByTheLoader() throws {
        let scratch = try ScratchFolder()
        let output = scratch.path + "/ali-ccp"
        try DatasetConverter.convert(
            .aliCCP, source: try SharedDataFolder.folder(for: .aliCCP), output: output)
        try scratch.write(
            "ali-ccp/test.csv",
            Self.replacing(line: 3, field: 4, with: "999")(
                try String(contentsOfFile: output + "/test.csv", encoding: .utf8)))
        #expect {
            try Dataset.load(output, cache: .ignore)
        } throws: { error in
            "\(error)".hasSuffix(
                "test.csv:3:4 (column 'user_category'): found '999', expected an id in 0..<2 (identity vocabulary: unknown ids are not hashed)"
            )
        }
    }

    @Test(.needsSharedData) func theReportPrintsRowsAndRates() throws {
        let converted = try AliCCPConverterTests.converted.get()
        let text = converted.report.text
        #expect(
            text.contains("split train (train.csv): 100 rows, click 7 (7.0%), conversion 1 (1.0%)"))
        #expect(
            text.contains(
                "split validation (validation.csv): 50 rows, click 3 (6.0%), conversion 1 (2.0%)"))
    }

    @Test(.needsSharedData) func everyKeptFormatHasItsFolderBesideTheRepository() throws {
        let repository = try #require(
            SharedDataFolder.repositoryRoot(), "no Package.swift above this file")
        #expect(
            SharedDataFolder.root
                == repository.appendingPathComponent("../shared/data").standardizedFileURL.path)
        for format in DatasetFormat.allCases where format.sharedFolder != nil {
            _ = try SharedDataFolder.folder(for: format)
        }
        let missing = SharedDataFolder.Missing(path: "/nowhere/shared/data/coat")
        #expect(
            missing.description.hasPrefix("the real datasets are not at /nowhere/shared/data/coat"))
    }
}
