import Foundation
import Testing

@testable import FunnelData

/// Timestamp lists read from text, through the binary cache, into batches; and where padding
/// goes (``SequencePolicy/Padding``) for id lists and timestamp lists alike.
@Suite struct TimestampListTests {
    private static let schema = DatasetSchema(
        name: "histories", tables: ["train": TableFile(file: "train.csv")],
        columns: [
            ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .identity(size: 10)),
            ColumnSchema(name: "items", kind: .idList, separator: "|", empty: .missing, vocabularyOf: "item"),
            ColumnSchema(name: "times", kind: .timestampList, separator: "|", empty: .missing),
            ColumnSchema(name: "item", kind: .categorical, role: .item, vocabulary: .identity(size: 8)),
        ])

    private static let train = """
        user,items,times,item
        1,1|2|3,100|200|300,4
        2,5,50,6
        3,,,7
        4,1|2|3|4|5,1|2|3|4|5000000000,6

        """

    private func folder(_ train: String = Self.train) throws -> TemporaryDataset {
        try TemporaryDataset(schema: Self.schema, files: ["train.csv": train])
    }

    @Test func roundTripsFromTextThroughTheCacheIntoBatches() throws {
        let folder = try folder()
        let parsed = try Dataset.compile(folder.directory)
        let cached = try Dataset.load(folder.directory, cache: .require)
        #expect(cached.loadedFromCache)
        for dataset in [parsed, cached] {
            guard case .timestampLists(let values, let offsets) = try dataset.split("train").column("times")?.values else {
                Issue.record("times is not a timestamp list")
                return
            }
            #expect(values.array == [100, 200, 300, 50, 1, 2, 3, 4, 5_000_000_000])
            #expect(offsets.array == [0, 3, 4, 4, 9])
            let batcher = try Batcher(dataset: dataset, split: "train", batchSize: 4, shuffle: false)
            let batch = batcher.batch(batcher.batches(epoch: 0)[0])
            let times = try #require(batch.timestampSequences["times"])
            // Without a policy: the longest list's length, padded at the end with 0.
            #expect(times.length == 5)
            #expect(times.values == [100, 200, 300, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5_000_000_000])
            #expect(times.mask == [1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        }
        let summary = DatasetSummary(cached)
        let column = try #require(summary.tables.first?.columns.first { $0.name == "times" })
        #expect(column.kind == "timestampList" && column.maximumLength == 5 && column.minimum == 1)
    }

    @Test func badElementIsLocated() throws {
        let folder = try folder("user,items,times,item\n1,1|2,100|2x0,4\n")
        #expect {
            try Dataset.load(folder.directory, cache: .ignore)
        } throws: { error in
            "\(error)".hasPrefix(folder.directory + "/train.csv:2:3 (column 'times'): found '2x0', expected an integer time")
        }
    }

    @Test func aTimestampListNeedsASeparator() throws {
        let data = Data(#"{"name": "t", "kind": "timestampList"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ColumnSchema.self, from: data) }
    }

    @Test(arguments: [SequencePolicy.Padding.trailing, .leading])
    func paddingPlacesTheKeptElements(padding: SequencePolicy.Padding) throws {
        let folder = try folder()
        let dataset = try Dataset.load(folder.directory, cache: .ignore)
        let policy = SequencePolicy(length: 3, keep: .last, padding: padding)
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: 4, shuffle: false,
            sequences: ["items": policy, "times": policy])
        let batch = batcher.batch(batcher.batches(epoch: 0)[0])
        let items = try #require(batch.sequences["items"])
        let times = try #require(batch.timestampSequences["times"])
        let pad: Int32 = 8
        // Rows: [1,2,3]; [5]; []; [1,2,3,4,5] keeps the most recent three, 3 4 5.
        switch padding {
        case .trailing:
            #expect(items.ids == [1, 2, 3, 5, pad, pad, pad, pad, pad, 3, 4, 5])
            #expect(times.values == [100, 200, 300, 50, 0, 0, 0, 0, 0, 3, 4, 5_000_000_000])
            #expect(items.mask == [1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1])
        case .leading:
            #expect(items.ids == [1, 2, 3, pad, pad, 5, pad, pad, pad, 3, 4, 5])
            #expect(times.values == [100, 200, 300, 0, 0, 50, 0, 0, 0, 3, 4, 5_000_000_000])
            #expect(items.mask == [1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1])
        }
        #expect(times.mask == items.mask)
    }

    @Test func keepFirstWithLeadingPadding() {
        let policy = SequencePolicy(length: 4, keep: .first, padding: .leading)
        #expect(policy.placement(count: 6, length: 4) == (first: 0, kept: 4, position: 0))
        #expect(policy.placement(count: 2, length: 4) == (first: 0, kept: 2, position: 2))
    }

    @Test func policiesWithoutPaddingDecodeAsTrailing() throws {
        let old = try JSONDecoder().decode(SequencePolicy.self, from: Data(#"{"length": 5, "keep": "last"}"#.utf8))
        #expect(old == SequencePolicy(length: 5))
        let leading = SequencePolicy(length: 5, padding: .leading)
        #expect(try JSONDecoder().decode(SequencePolicy.self, from: JSONEncoder().encode(leading)) == leading)
    }
}

/// A timestamp list built in memory (as a simulator builds its tables) survives the binary
/// cache.
@Suite struct InMemoryTimestampListTests {
    @Test func inMemoryDatasetWritesAndReadsTimestampLists() throws {
        let times = ColumnSchema(name: "times", kind: .timestampList, separator: "|")
        let schema = DatasetSchema(
            name: "memory", tables: ["train": TableFile(file: "train.csv")], columns: [times], storage: .binary)
        let table = Table(
            name: "train", rowCount: 2,
            columns: [
                Column(schema: times, values: .timestampLists(values: ColumnBuffer([7, 8, 9]), offsets: ColumnBuffer([0, 1, 3])))
            ])
        let folder = try TemporaryDataset(schema: schema, files: [:])
        try Dataset.inMemory(directory: folder.directory, schema: schema, splits: ["train": table]).write(to: folder.directory)
        let loaded = try Dataset.load(folder.directory)
        guard case .timestampLists(let values, let offsets) = try loaded.split("train").column("times")?.values else {
            Issue.record("times is not a timestamp list")
            return
        }
        #expect(values.array == [7, 8, 9] && offsets.array == [0, 1, 3])
        let batcher = try Batcher(
            dataset: loaded, split: "train", batchSize: 2, shuffle: false,
            sequences: ["times": SequencePolicy(length: 2, padding: .leading)])
        #expect(batcher.batch(batcher.batches(epoch: 0)[0]).timestampSequences["times"]?.values == [0, 7, 8, 9])
    }
}
