import Foundation
import Testing

@testable import FunnelData

/// A corpus of bad inputs: each is refused with an error naming the file and the field (or
/// line), and nothing is left behind in the folder.
@Suite struct SchemaRefusalTests {
    /// A valid schema's JSON text with `edit` applied to its parsed object.
    static func schemaText(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var object = try JSONSerialization.jsonObject(with: encoder.encode(exposureSchema())) as! [String: Any]
        edit(&object)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func editColumn(_ index: Int, _ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
        { object in
            var columns = object["columns"] as! [[String: Any]]
            edit(&columns[index])
            object["columns"] = columns
        }
    }

    /// Loads a folder holding `schema` (text) and the exposure tables; expects a refusal whose
    /// message holds every one of `fragments`, and no file written.
    static func expectRefusal(
        _ schema: String, _ fragments: [String], extraFiles: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let folder = try TemporaryDataset(
            schema: exposureSchema(), files: ["train.csv": exposureTrain, "test.csv": exposureTest].merging(extraFiles) { $1 })
        try folder.write("schema.json", schema)
        let before = folder.fileNames
        var message = ""
        #expect(sourceLocation: sourceLocation) {
            try Dataset.load(folder.directory)
        } throws: { error in
            message = "\(error)"
            return error is DataError
        }
        #expect(message.contains("schema.json"), "\(message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(message.contains(fragment), "'\(fragment)' not in: \(message)", sourceLocation: sourceLocation)
        }
        #expect(message.count < 600, "\(message.count) characters", sourceLocation: sourceLocation)
        #expect(folder.fileNames == before, sourceLocation: sourceLocation)
    }

    @Test func aValidSchemaStillLoads() throws {
        let folder = try TemporaryDataset(schema: exposureSchema(), files: ["train.csv": exposureTrain, "test.csv": exposureTest])
        try folder.write("schema.json", try Self.schemaText { _ in })
        #expect(try Dataset.load(folder.directory).splits.count == 2)
    }

    @Test func unknownKeysAreRefusedWithTheirPath() throws {
        try Self.expectRefusal(
            try Self.schemaText(Self.editColumn(2) { $0["vocabularyy"] = ["built": ["minimumCount": 1]] }),
            ["field 'columns[2].vocabularyy' is unknown", "expected one of:", "vocabulary"])
        try Self.expectRefusal(try Self.schemaText { $0["colums"] = [] }, ["field 'colums' is unknown"])
        try Self.expectRefusal(
            try Self.schemaText { $0["tables"] = ["train": ["file": "train.csv", "delimeter": ","]] },
            ["field 'tables.train.delimeter' is unknown"])
        try Self.expectRefusal(
            try Self.schemaText(Self.editColumn(0) { $0["vocabulary"] = ["built": ["minimumCount": 1, "max": 3]] }),
            ["field 'columns[0].vocabulary.built.max' is unknown"])
    }

    @Test func duplicateKeysAreRefused() throws {
        let text = try Self.schemaText { _ in }
        let duplicated = text.replacingOccurrences(of: #""badRows":"stop""#, with: #""badRows":"stop","badRows":"skip""#)
        #expect(duplicated != text)
        try Self.expectRefusal(duplicated, ["field 'badRows' appears twice"])
        let inColumn = text.replacingOccurrences(of: #""name":"price""#, with: #""name":"price","name":"cost""#)
        try Self.expectRefusal(inColumn, ["field 'columns[2].name' appears twice"])
    }

    @Test func unknownEnumValuesListTheValidOnes() throws {
        try Self.expectRefusal(
            try Self.schemaText(Self.editColumn(2) { $0["kind"] = "float" }),
            ["columns[2].kind", "'float'", "categorical, dense, idList, timestamp, label"])
        try Self.expectRefusal(
            try Self.schemaText(Self.editColumn(0) { $0["role"] = "usr" }), ["columns[0].role", "feature, user, item"])
        try Self.expectRefusal(try Self.schemaText { $0["badRows"] = "ignore" }, ["badRows", "stop, skip"])
        try Self.expectRefusal(try Self.schemaText { $0["storage"] = "disk" }, ["storage", "text, binary"])
        try Self.expectRefusal(
            try Self.schemaText(Self.editColumn(3) { $0["empty"] = "blank" }), ["columns[3].empty", "error, useDefault, missing"])
        try Self.expectRefusal(
            try Self.schemaText(Self.editColumn(0) { $0["vocabulary"] = ["learned": ["size": 3]] }),
            ["field 'columns[0].vocabulary.learned' is unknown", "built, hashed, identity"])
    }

    @Test func vocabularySizesOutOfRangeAreRefusedBeforeAnyAllocation() throws {
        for (vocabulary, field) in [
            (["identity": ["size": -1]], "columns[1].vocabulary.identity.size"),
            (["identity": ["size": 0]], "columns[1].vocabulary.identity.size"),
            (["identity": ["size": 1e15]], "columns[1].vocabulary.identity.size"),
            (["identity": ["size": 2_147_483_648]], "columns[1].vocabulary.identity.size"),
            (["hashed": ["buckets": -1]], "columns[1].vocabulary.hashed.buckets"),
            (["hashed": ["buckets": 0]], "columns[1].vocabulary.hashed.buckets"),
            (["hashed": ["buckets": 1e15]], "columns[1].vocabulary.hashed.buckets"),
            (["built": ["minimumCount": 0]], "columns[1].vocabulary.built.minimumCount"),
            (["built": ["minimumCount": -5]], "columns[1].vocabulary.built.minimumCount"),
        ] as [([String: [String: Double]], String)] {
            try Self.expectRefusal(
                try Self.schemaText(Self.editColumn(1) { $0["vocabulary"] = vocabulary }), ["field '\(field)'", "expected"])
        }
        // Beyond Int: the decoder's own refusal, still with the field.
        try Self.expectRefusal(
            try Self.schemaText(Self.editColumn(1) { $0["vocabulary"] = ["identity": ["size": 1e30]] }),
            ["field 'columns[1].vocabulary.identity.size' is 1e+30", "expected a whole number"])
        try Self.expectRefusal(
            try Self.schemaText(Self.editColumn(1) { $0["vocabulary"] = ["hashed": ["buckets": 2.5]] }),
            ["field 'columns[1].vocabulary.hashed.buckets' is 2.5"])
    }

    @Test func tableFilesOutsideTheFolderAreRefusedWithoutReadingThem() throws {
        let outside = NSTemporaryDirectory() + "funnel-secret-\(UUID().uuidString).csv"
        try "TOP-SECRET-LINE,with,fields\n".write(toFile: outside, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        for file in ["../../secret.csv", outside, "sub/../../x.csv", "", "."] {
            try Self.expectRefusal(
                try Self.schemaText { $0["tables"] = ["train": ["file": "train.csv"], "test": ["file": file]] },
                ["field 'tables.test.file'"])
        }
        try Self.expectRefusal(
            try Self.schemaText { $0["tables"] = ["train": ["file": "train.csv", "delimiter": ";;"], "test": ["file": "test.csv"]] },
            ["field 'tables.train.delimiter'", "one byte"])

        // A link inside the folder that leads outside it.
        let folder = try TemporaryDataset(schema: exposureSchema(), files: ["train.csv": exposureTrain])
        try FileManager.default.createSymbolicLink(atPath: folder.directory + "/test.csv", withDestinationPath: outside)
        for cache in [Dataset.CachePolicy.useOrRebuild, .ignore] {
            #expect {
                try Dataset.load(folder.directory, cache: cache)
            } throws: { error in
                let message = "\(error)"
                return message.contains("schema.json") && message.contains("field 'tables.test.file'")
                    && message.contains("outside the dataset folder") && !message.contains("TOP-SECRET")
            }
        }
        #expect(throws: DataError.self) { try Dataset.compile(folder.directory) }
        #expect(folder.fileNames == ["schema.json", "test.csv", "train.csv"])
    }

    @Test func otherInconsistenciesNameTheirField() throws {
        try Self.expectRefusal(try Self.schemaText(Self.editColumn(2) { $0["defaultValue"] = nil }), ["columns[2].defaultValue"])
        try Self.expectRefusal(try Self.schemaText(Self.editColumn(3) { $0["separator"] = "||" }), ["columns[3].separator"])
        try Self.expectRefusal(try Self.schemaText(Self.editColumn(4) { $0["name"] = "user" }), ["columns[4].name", "declared twice"])
        try Self.expectRefusal(try Self.schemaText { $0["name"] = nil }, ["field 'name' is required but missing"])
        try Self.expectRefusal(try Self.schemaText { $0["vocabularySplit"] = "valid" }, ["field 'vocabularySplit'"])
        try Self.expectRefusal("{\"name\": \"x\",\n \"tables\": {,}}", ["line 2, column 13"])
        try Self.expectRefusal(String(repeating: "[", count: 10_000), ["nested deeper than"])
        try Self.expectRefusal("", ["empty"])
    }
}

@Suite struct JSONCheckerTests {
    @Test func parsesAndFindsDuplicatesAtAnyDepth() throws {
        let value = try JSONChecker.parse(Data(#"{"a": [1, {"b": "x\u0041", "c": null}], "d": true}"#.utf8))
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["a", "d"])
        #expect(throws: JSONChecker.Failure(path: "a[1].b", message: "appears twice in one object (only one value would be kept)")) {
            try JSONChecker.parse(Data(#"{"a": [1, {"b": 1, "b": 2}]}"#.utf8))
        }
        // The same key written with an escape is the same key.
        #expect(throws: JSONChecker.Failure.self) { try JSONChecker.parse(Data(#"{"ab": 1, "a\u0062": 2}"#.utf8)) }
        for bad in ["{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "tru", "{} {}", "\"a\nb\""] {
            #expect(throws: JSONChecker.Failure.self, "\(bad)") { try JSONChecker.parse(Data(bad.utf8)) }
        }
    }

    @Test func everyKeyTheEncoderWritesIsKnown() throws {
        let schema = DatasetSchema(
            name: "all", tables: ["train": TableFile(file: "t.csv")],
            columns: [
                ColumnSchema(
                    name: "a", kind: .idList, role: .item, vocabulary: .hashed(buckets: 10), separator: "|", empty: .useDefault,
                    defaultValue: "0", vocabularyOf: "b", truthOf: "c", truthGiven: "d"),
                ColumnSchema(name: "b", kind: .categorical, vocabulary: .identity(size: 3)),
                ColumnSchema(name: "c", kind: .categorical, vocabulary: .built(minimumCount: 2)),
            ],
            sideTables: [SideTableSchema(name: "s", table: TableFile(file: "s.csv"), key: ["b"], columns: [])],
            notes: "n", storage: .text)
        let data = try JSONEncoder().encode(schema)
        try JSONChecker.check(data, shape: DatasetSchema.jsonShape)
        #expect(try JSONDecoder().decode(DatasetSchema.self, from: data) == schema)
    }
}

@Suite struct TableRefusalTests {
    static func read(_ text: String, header: Bool = true) throws -> (RawTable, LoadReport) {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { buffer in
            try TableReader(
                path: "data/train.csv", table: TableFile(file: "train.csv", header: header),
                columns: [ColumnSchema(name: "a", kind: .dense), ColumnSchema(name: "b", kind: .dense)], badRows: .stop
            ).read(bytes: buffer)
        }
    }

    @Test func duplicateHeaderNamesAreRefusedNamingBothColumns() throws {
        #expect {
            try Self.read("a,b,c,b\n1,2,3,4\n")
        } throws: { error in
            "\(error)" == "data/train.csv:1:4: found 'b', expected a header name not already used by column 2 (header names must be unique)"
        }
    }

    @Test func aHugeHeaderIsRefusedQuicklyAndNotEchoed() throws {
        let header = String(repeating: "abcdefgh,", count: 300_000)  // 2.7 MB, no line end
        let start = Date()
        var message = ""
        #expect {
            try Self.read(header)
        } throws: { error in
            message = "\(error)"
            return message.contains("data/train.csv:1") && message.contains("header line of at most 1048576 bytes")
        }
        #expect(message.count < 400)
        #expect(Date().timeIntervalSince(start) < 2)
        // A quoted header spanning lines past the bound.
        let quoted = "\"" + String(repeating: "x\n", count: 600_000) + "\",b\n"
        #expect(throws: DataError.self) { try Self.read(quoted) }
    }

    @Test func longValuesAreCutInMessages() throws {
        let long = String(repeating: "z", count: 100_000)
        for text in ["a,b\n1,\(long)\n", "a,b\n1,\"\(long)\"x\n", "a,\(long)\n1,2\n"] {
            #expect {
                try Self.read(text)
            } throws: { error in
                "\(error)".count < 700
            }
        }
    }

    @Test func metricInputChecksLocateTheValue() throws {
        let scratch = NSTemporaryDirectory() + "funnel-metrics-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let columns = [ColumnSchema(name: "click", kind: .label), ColumnSchema(name: "score", kind: .dense)]
        for (text, expected) in [
            ("click,score\n1,0.5\n\n0,inf\n", "\(scratch):4:2 (column 'score'): found 'inf', expected a finite number"),
            ("click,score\n1,-inf\n", "\(scratch):2:2 (column 'score'): found '-inf'"),
            ("click,score\n1,1e39\n", "\(scratch):2:2 (column 'score'): found '1e39'"),
            ("click,score\n0.5,0.1\n", "\(scratch):2:1 (column 'click'): found '0.5', expected 0 or 1"),
        ] {
            try text.write(toFile: scratch, atomically: false, encoding: .utf8)
            #expect {
                try Dataset.readLocatedTable(path: scratch, columns: columns, checks: ["click": .binary, "score": .finite])
            } throws: { error in
                "\(error)".hasPrefix(expected)
            }
        }
        try "click,score\n1,0.5\n\n0,0.25\n".write(toFile: scratch, atomically: false, encoding: .utf8)
        let (table, _, lines) = try Dataset.readLocatedTable(path: scratch, columns: columns, checks: ["score": .finite])
        #expect(table.rowCount == 2 && lines == [2, 4])
    }
}

@Suite struct ReadOnlyDatasetTests {
    @Test func aFolderWhereTheCacheCannotBeWrittenStillLoads() throws {
        let folder = try TemporaryDataset(schema: exposureSchema(), files: ["train.csv": exposureTrain, "test.csv": exposureTest])
        // Make the folder read-only; where that does not stop writes (root), put a folder where
        // the cache would go, so that the cache's rename fails all the same.
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.directory)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.directory) }
        let probe = folder.directory + "/probe"
        var blocker = false
        if FileManager.default.createFile(atPath: probe, contents: nil) {
            try FileManager.default.removeItem(atPath: probe)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.directory)
            try FileManager.default.createDirectory(atPath: Dataset.cachePath(folder.directory), withIntermediateDirectories: false)
            blocker = true
        }
        let before = folder.fileNames
        let dataset = try Dataset.load(folder.directory)
        #expect(!dataset.loadedFromCache)
        #expect(try dataset.split("train").rowCount == 4)
        #expect(dataset.notes.count == 1)
        #expect(dataset.notes.first?.contains("could not be written") == true)
        #expect(dataset.notes.first?.contains("kept in memory") == true)
        #expect(DatasetSummary(dataset).text.contains("note: the binary cache"))
        #expect(folder.fileNames == before, "no temporary file left (blocker: \(blocker))")
        // Loading again works the same way.
        #expect(try Dataset.load(folder.directory).notes.count == 1)
    }
}
