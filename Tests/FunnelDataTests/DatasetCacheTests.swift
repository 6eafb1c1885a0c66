import Foundation
import Testing

@testable import FunnelData

@Suite struct DatasetCacheTests {
    private func folder() throws -> TemporaryDataset {
        try TemporaryDataset(schema: exposureSchema(), files: ["train.csv": exposureTrain, "test.csv": exposureTest])
    }

    @Test func cacheRoundTripsEveryColumn() throws {
        let folder = try folder()
        let parsed = try Dataset.compile(folder.directory)
        let cached = try Dataset.load(folder.directory, cache: .require)
        #expect(cached.loadedFromCache && !parsed.loadedFromCache)
        for (name, table) in parsed.splits {
            let other = try cached.split(name)
            #expect(other.rowCount == table.rowCount)
            for column in table.columns {
                let restored = try #require(other.column(column.schema.name))
                switch (column.values, restored.values) {
                case (.ids(let left), .ids(let right)): #expect(left.array == right.array)
                case (.floats(let left), .floats(let right)): #expect(left.array == right.array)
                case (.lists(let leftIDs, let leftOffsets), .lists(let rightIDs, let rightOffsets)):
                    #expect(leftIDs.array == rightIDs.array && leftOffsets.array == rightOffsets.array)
                default: Issue.record("column \(column.schema.name) changed kind")
                }
                #expect(column.keys?.array == restored.keys?.array)
            }
        }
        #expect(cached.vocabularies == parsed.vocabularies)
        #expect(cached.reports == parsed.reports)
        #expect(folder.fileNames == ["dataset.funnelcache", "schema.json", "test.csv", "train.csv"])
    }

    @Test func truncatedCacheIsRefusedWithTheReason() throws {
        let folder = try folder()
        try Dataset.compile(folder.directory)
        let path = Dataset.cachePath(folder.directory)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        #expect {
            try Dataset.load(folder.directory, cache: .require)
        } throws: { error in
            "\(error)".contains("invalid cache: truncated")
        }
        try bytes.prefix(40).write(to: URL(fileURLWithPath: path))
        #expect(throws: DataError.self) { try Dataset.load(folder.directory, cache: .require) }
    }

    @Test func damagedBlockIsRebuilt() throws {
        let folder = try folder()
        try Dataset.compile(folder.directory)
        let path = Dataset.cachePath(folder.directory)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[DatasetCache.headerSize] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        var reasons: [String] = []
        let dataset = try Dataset.load(folder.directory) { reasons.append($0) }
        #expect(reasons.count == 1 && reasons[0].contains("block 0 is damaged"))
        #expect(!dataset.loadedFromCache)
        #expect(try Dataset.load(folder.directory, cache: .require).loadedFromCache)
    }

    @Test func changedSourceIsDetected() throws {
        let folder = try folder()
        try Dataset.compile(folder.directory)
        try folder.write("test.csv", exposureTest + "u1,11,2,,1\n")
        #expect {
            try Dataset.load(folder.directory, cache: .require)
        } throws: { error in
            "\(error)".contains("test.csv changed since the cache was compiled")
        }
        let rebuilt = try Dataset.load(folder.directory)
        #expect(try rebuilt.split("test").rowCount == 3)
    }

    @Test func failedCompileLeavesNothingBehind() throws {
        let folder = try TemporaryDataset(
            schema: exposureSchema(), files: ["train.csv": exposureTrain, "test.csv": "user,item,price,history,click\nu1,10,zz,,1\n"])
        #expect(throws: DataError.self) { try Dataset.compile(folder.directory) }
        #expect(folder.fileNames == ["schema.json", "test.csv", "train.csv"])
    }

    @Test func schemaErrorsNameTheField() throws {
        let folder = try folder()
        try folder.write("schema.json", #"{"name": "x", "tables": {"train": {"file": "train.csv"}}, "columns": [{"name": "a", "kind": "float"}]}"#)
        #expect {
            try Dataset.load(folder.directory, cache: .ignore)
        } throws: { error in
            "\(error)".contains("columns[0].kind")
        }
    }
}
