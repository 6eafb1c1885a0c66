import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelData

/// Seeded random mutation fuzzing of the CSV reader and the `schema.json` decoder: every
/// mutated input must give a value or a thrown `DataError` with a short message — never a crash.
///
/// The seeds are the tests' own small tables and schemas, plus the first lines of every file
/// of `../shared/data` when it is present. Each input is a seed with one to four mutations
/// (bit flips, inserted and deleted bytes, truncation, repeated separators, quotes and line
/// ends, huge or non-finite numbers, duplicated chunks). The generator is seeded, so a failure
/// reproduces; the failing input is printed.
@Suite struct FuzzTests {
    static let csvInputs = 100_000
    static let schemaInputs = 100_000

    static let interestingBytes: [UInt8] = Array(",\"\n\r|\t 0123456789-+.eE:{}[]\\".utf8) + [0x00, 0xFF, 0xC3, 0xEF, 0xBB, 0xBF]
    static let interestingTokens: [String] = [
        "1e999", "-1e400", "1e-400", "99999999999999999999999", "9223372036854775808", "-9223372036854775808",
        "2147483648", "-1", "0", "nan", "inf", "-inf", "0x1p3", "1e15", "\"\"", "\"\"\"", ",,,,", "\n\n\n", "\r\n",
        "\u{FEFF}", "null", "true", "{}", "[]", "{\"a\":1}", "1.5e308", "-0",
    ]

    /// Applies one to four random mutations to `seed`; positions before `protectedPrefix` are
    /// left alone most of the time (so that a CSV's header still matches and the rows are read).
    static func mutate(_ seed: [UInt8], protectedPrefix: Int, using generator: inout RandomGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let low = Bool.random(using: &generator) || Int.random(in: 0..<4, using: &generator) == 0 ? 0 : Swift.min(protectedPrefix, bytes.count)
            let position = Int.random(in: low...bytes.count, using: &generator)
            switch Int.random(in: 0..<9, using: &generator) {
            case 0 where position < bytes.count:
                bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            case 1:
                bytes.insert(interestingBytes.randomElement(using: &generator)!, at: position)
            case 2 where position < bytes.count:
                let length = Int.random(in: 1...8, using: &generator)
                bytes.removeSubrange(position..<Swift.min(bytes.count, position + length))
            case 3:
                bytes.removeSubrange(position...)
            case 4:
                // Repeat a separator, quote or line end found at or after the position.
                if let index = bytes[position...].firstIndex(where: { [0x2C, 0x22, 0x0A, 0x7C, 0x09, 0x0D].contains($0) }) {
                    let repeats = Int.random(in: 1...5, using: &generator)
                    bytes.insert(contentsOf: repeatElement(bytes[index], count: repeats), at: index)
                }
            case 5:
                bytes.insert(contentsOf: Array(interestingTokens.randomElement(using: &generator)!.utf8), at: position)
            case 6 where bytes.count > 1:
                let start = Int.random(in: 0..<bytes.count, using: &generator)
                let end = Swift.min(bytes.count, start + Int.random(in: 1...32, using: &generator))
                let chunk = Array(bytes[start..<end])
                bytes.insert(contentsOf: chunk, at: Int.random(in: 0...bytes.count, using: &generator))
            case 7 where position < bytes.count:
                bytes[position] = UInt8.random(in: 0...255, using: &generator)
            case 8 where position < bytes.count:
                // Replace a run of digits by a huge number.
                var end = position
                while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
                bytes.replaceSubrange(position..<end, with: Array(interestingTokens[Int.random(in: 0..<8, using: &generator)].utf8))
            default:
                break
            }
        }
        return bytes
    }

    /// A table to read and the columns to read it with.
    struct CSVSeed {
        var bytes: [UInt8]
        var table: TableFile
        var columns: [ColumnSchema]
        var badRows: BadRowPolicy
    }

    /// The first lines (at most `limit` bytes) of each delimited file of `../shared/data`.
    static func sharedSeeds(limit: Int = 400) -> [CSVSeed] {
        guard let root = SharedData.repositoryRoot() else { return [] }
        let folder = root.deletingLastPathComponent().appendingPathComponent("shared/data").path
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var seeds: [CSVSeed] = []
        for case let name as String in enumerator where name.hasSuffix(".csv") || name.hasSuffix(".ascii") {
            guard let handle = FileHandle(forReadingAtPath: folder + "/" + name) else { continue }
            let head = [UInt8]((try? handle.read(upToCount: limit)) ?? Data())
            try? handle.close()
            guard let cut = head.lastIndex(of: 0x0A) else { continue }
            let bytes = Array(head[...cut])
            if name.hasSuffix(".ascii") {
                // Coat's matrices: space-separated integers, no header.
                let width = bytes.prefix { $0 != 0x0A }.split(separator: 0x20).count
                let columns = (0..<Swift.max(1, Swift.min(width, 8))).map {
                    ColumnSchema(name: "c\($0)", kind: .categorical, vocabulary: .identity(size: 10), empty: .missing)
                }
                seeds.append(CSVSeed(bytes: bytes, table: TableFile(file: name, delimiter: " ", header: false), columns: columns, badRows: .skip))
                continue
            }
            let delimiter: String = bytes.prefix { $0 != 0x0A }.contains(0x09) ? "\t" : ","
            let header = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
                .split(separator: Character(delimiter)).map { $0.trimmingCharacters(in: .whitespaces) }
            let names = Array(Set(header).filter { !$0.isEmpty }).sorted().prefix(6)
            var columns: [ColumnSchema] = []
            for (index, column) in names.enumerated() {
                switch index % 3 {
                case 0: columns.append(ColumnSchema(name: column, kind: .categorical, vocabulary: .hashed(buckets: 100), empty: .missing))
                case 1: columns.append(ColumnSchema(name: column, kind: .dense, empty: .missing))
                default: columns.append(ColumnSchema(name: column, kind: .categorical, vocabulary: .built(minimumCount: 1), empty: .missing))
                }
            }
            seeds.append(CSVSeed(bytes: bytes, table: TableFile(file: name, delimiter: delimiter), columns: columns, badRows: .skip))
            seeds.append(CSVSeed(bytes: bytes, table: TableFile(file: name, delimiter: delimiter), columns: columns, badRows: .stop))
        }
        return seeds.sorted { $0.table.file < $1.table.file }
    }

    /// Seeds that need no shared data: the tests' own tables, read several ways.
    static var builtInSeeds: [CSVSeed] {
        let exposure = exposureSchema().columns
        let skipping = exposureSchema(badRows: .skip).columns
        let identity = exposureSchema(itemVocabulary: .identity(size: 100)).columns
        let headerless = "1,2.5,x\n3,\"4\",\"a \"\"quoted\"\" b\"\n-7,1e3,\n"
        let headerlessColumns = [
            ColumnSchema(name: "t", kind: .timestamp),
            ColumnSchema(name: "d", kind: .dense, empty: .useDefault, defaultValue: "0"),
            ColumnSchema(name: "k", kind: .categorical, vocabulary: .hashed(buckets: 7), empty: .missing),
        ]
        let tsv = "user\titem\tprice\thistory\tclick\nu1\t10\t1.5\t11|12\t1\nu2\t12\t\t\t0\n"
        return [
            CSVSeed(bytes: Array(exposureTrain.utf8), table: TableFile(file: "train.csv"), columns: exposure, badRows: .stop),
            CSVSeed(bytes: Array(exposureTest.utf8), table: TableFile(file: "test.csv"), columns: skipping, badRows: .skip),
            CSVSeed(bytes: Array(exposureTrain.utf8), table: TableFile(file: "train.csv"), columns: identity, badRows: .skip),
            CSVSeed(bytes: Array(headerless.utf8), table: TableFile(file: "h.csv", header: false), columns: headerlessColumns, badRows: .skip),
            CSVSeed(bytes: Array(headerless.utf8), table: TableFile(file: "h.csv", header: false), columns: headerlessColumns, badRows: .stop),
            CSVSeed(bytes: Array(tsv.utf8), table: TableFile(file: "t.tsv", delimiter: "\t"), columns: skipping, badRows: .skip),
        ]
    }

    /// Reads `bytes` as the seed's table and, when that works, builds its vocabularies and ids.
    static func readTable(_ bytes: [UInt8], _ seed: CSVSeed) throws -> Int {
        let (raw, _) = try bytes.withUnsafeBytes { buffer in
            try TableReader(path: seed.table.file, table: seed.table, columns: seed.columns, badRows: seed.badRows).read(bytes: buffer)
        }
        let schema = DatasetSchema(name: "fuzz", tables: ["train": seed.table], columns: seed.columns, badRows: seed.badRows)
        let loader = DatasetTextLoader(directory: "", schema: schema)
        let vocabularies = loader.buildVocabularies(training: raw, sides: [])
        var report = LoadReport(file: seed.table.file)
        let columns = raw.columns.map { loader.resolve($0, vocabularies: vocabularies, keepKeys: true, report: &report) }
        return columns.count + raw.rowCount
    }

    @Test func csvReaderNeverCrashes() throws {
        let seeds = Self.builtInSeeds + Self.sharedSeeds()
        var generator = RandomGenerator(seed: 0xF0_22E1)
        var (values, errors) = (0, 0)
        for index in 0..<Self.csvInputs {
            let seed = seeds[index % seeds.count]
            let header = seed.table.header ? (seed.bytes.firstIndex(of: 0x0A) ?? 0) + 1 : 0
            let input = Self.mutate(seed.bytes, protectedPrefix: header, using: &generator)
            Self.tally(index, input, values: &values, errors: &errors) { _ = try Self.readTable(input, seed) }
        }
        print("CSV fuzz: \(values + errors) inputs from \(seeds.count) seeds: \(values) read, \(errors) refused")
        #expect(values + errors == Self.csvInputs)
        #expect(values > 1_000 && errors > 1_000)
    }

    /// Counts one fuzzed input: read (`values`) or refused with a `DataError` (`errors`) whose
    /// message stays short; any other error, or an overlong message, is recorded as an issue.
    static func tally(_ index: Int, _ input: [UInt8], values: inout Int, errors: inout Int, _ body: () throws -> Void) {
        do {
            try body()
            values += 1
        } catch let error as DataError {
            errors += 1
            let message = error.description
            if message.count > 1_000 {
                Issue.record("input \(index): a message of \(message.count) characters: \(message.prefix(300))")
            }
        } catch {
            Issue.record("input \(index): not a DataError: \(error)\n\(String(decoding: input, as: UTF8.self))")
        }
    }

    static var schemaSeeds: [[UInt8]] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let full = DatasetSchema(
            name: "all", tables: ["train": TableFile(file: "t.csv"), "test": TableFile(file: "sub/u.tsv", delimiter: "\t", header: false)],
            columns: [
                ColumnSchema(
                    name: "a", kind: .idList, role: .item, separator: "|", empty: .useDefault, defaultValue: "0",
                    vocabularyOf: "b", truthOf: "c", truthGiven: "d"),
                ColumnSchema(name: "b", kind: .categorical, vocabulary: .identity(size: 3)),
                ColumnSchema(name: "c", kind: .categorical, vocabulary: .hashed(buckets: 1000)),
                ColumnSchema(name: "t", kind: .timestamp, role: .day),
            ],
            sideTables: [
                SideTableSchema(
                    name: "s", table: TableFile(file: "s.csv"), key: ["b"],
                    columns: [ColumnSchema(name: "b", kind: .categorical, vocabularyOf: "b"), ColumnSchema(name: "x", kind: .dense)])
            ],
            badRows: .skip, notes: "n", storage: .text)
        let handWritten = """
            {
              "name": "exposures",
              "tables": {"train": {"file": "train.csv"}, "test": {"file": "test.csv", "delimiter": ","}},
              "columns": [
                {"name": "user", "kind": "categorical", "role": "user", "vocabulary": {"built": {"minimumCount": 1}}},
                {"name": "item", "kind": "categorical", "role": "item", "vocabulary": {"identity": {"size": 100}}},
                {"name": "history", "kind": "idList", "separator": "|", "empty": "missing", "vocabularyOf": "item"},
                {"name": "click", "kind": "label"}
              ]
            }
            """
        return [
            Array((try? encoder.encode(exposureSchema())) ?? Data()),
            Array((try? encoder.encode(full)) ?? Data()),
            Array(handWritten.utf8),
        ]
    }

    @Test func schemaDecoderNeverCrashes() throws {
        let seeds = Self.schemaSeeds
        var generator = RandomGenerator(seed: 0x5C_4E3A)
        var (values, errors) = (0, 0)
        for index in 0..<Self.schemaInputs {
            let input = Self.mutate(seeds[index % seeds.count], protectedPrefix: 0, using: &generator)
            Self.tally(index, input, values: &values, errors: &errors) {
                let schema = try DatasetSchema.decode(Data(input), path: "fuzz/schema.json")
                // What a valid schema allows must be usable without trapping.
                for column in schema.columns + schema.sideTables.flatMap(\.columns) {
                    guard let vocabulary = column.vocabulary else { continue }
                    let table = VocabularyTable(column: column.name, kind: vocabulary, trainingKeys: [[1, 2, .min, .max]])
                    for key: Int64 in [0, 1, -1, .min, .max] { _ = table.id(forKey: key) }
                    _ = table.map([3, .min, .max])
                }
            }
        }
        print("schema.json fuzz: \(values + errors) inputs from \(seeds.count) seeds: \(values) decoded, \(errors) refused")
        #expect(values + errors == Self.schemaInputs)
        #expect(values > 1_000 && errors > 1_000)
    }
}
