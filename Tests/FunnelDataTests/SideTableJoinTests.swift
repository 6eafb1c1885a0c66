import Testing

@testable import FunnelData

@Suite struct SideTableJoinTests {
    private let schema = DatasetSchema(
        name: "homepage",
        tables: ["train": TableFile(file: "train.tsv", delimiter: "\t")],
        columns: [
            ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .hashed(buckets: 1000)),
            ColumnSchema(name: "day", kind: .timestamp, role: .day),
            ColumnSchema(name: "click", kind: .label),
        ],
        sideTables: [
            SideTableSchema(
                name: "user-day", table: TableFile(file: "user_day.tsv", delimiter: "\t"), key: ["user", "day"],
                columns: [
                    ColumnSchema(name: "user", kind: .categorical, vocabularyOf: "user"),
                    ColumnSchema(name: "day", kind: .timestamp),
                    ColumnSchema(name: "intent", kind: .idList, vocabulary: .identity(size: 3), separator: ","),
                    ColumnSchema(name: "portal", kind: .label),
                ])
        ])

    @Test func rowsFindTheirUserDayOnce() throws {
        let folder = try TemporaryDataset(schema: schema, files: [
            "train.tsv": "user\tday\tclick\na\t1\t1\na\t1\t0\na\t2\t0\nb\t1\t1\nc\t1\t0\n",
            "user_day.tsv": "user\tday\tintent\tportal\na\t1\t0,1,2\t1\na\t2\t2\t0\nb\t1\t1,1\t1\n",
        ])
        for policy in [Dataset.CachePolicy.ignore, .useOrRebuild, .require] {
            let dataset = try Dataset.load(folder.directory, cache: policy)
            let train = try dataset.split("train")
            #expect(train.joins["user-day"]?.array == [0, 0, 1, 2, -1])
            #expect(dataset.sideTables["user-day"]?.rowCount == 3)
            let batcher = try Batcher(
                dataset: dataset, split: "train", batchSize: 5, shuffle: false,
                sequences: ["user-day.intent": SequencePolicy(length: 3)])
            let batch = batcher.batch(batcher.batches(epoch: 0)[0])
            #expect(batch.present["user-day"] == [1, 1, 1, 1, 0])
            #expect(batch.floats["user-day.portal"] == [1, 1, 0, 1, 0])
            // Padded with 3, the vocabulary's size; user c has no user-day row: all padding.
            #expect(batch.sequences["user-day.intent"]?.ids == [0, 1, 2, 0, 1, 2, 2, 3, 3, 1, 1, 3, 3, 3, 3])
            #expect(batch.sequences["user-day.intent"]?.mask == [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0])
        }
        let report = try Dataset.load(folder.directory, cache: .ignore).reports.first { $0.file.hasSuffix("train.tsv") }
        #expect(report?.unmatchedJoins == ["user-day": 1])
    }

    @Test func duplicateKeysAreRefused() throws {
        let folder = try TemporaryDataset(schema: schema, files: [
            "train.tsv": "user\tday\tclick\na\t1\t1\n",
            "user_day.tsv": "user\tday\tintent\tportal\na\t1\t0\t1\na\t1\t2\t0\n",
        ])
        #expect {
            try Dataset.load(folder.directory, cache: .ignore)
        } throws: { error in
            "\(error)".contains("expected one row per key of side table 'user-day'")
        }
    }

    @Test func sharedIdentityVocabularyKeysJoin() throws {
        var schema = schema
        schema.columns[0].vocabulary = .identity(size: 10)
        let folder = try TemporaryDataset(schema: schema, files: [
            "train.tsv": "user\tday\tclick\n3\t1\t1\n4\t1\t0\n",
            "user_day.tsv": "user\tday\tintent\tportal\n4\t1\t2\t1\n",
        ])
        let train = try Dataset.load(folder.directory, cache: .ignore).split("train")
        #expect(train.joins["user-day"]?.array == [-1, 0])
    }
}
