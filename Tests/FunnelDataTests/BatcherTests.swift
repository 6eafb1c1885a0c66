import FunnelTensor
import Testing

@testable import FunnelData

@Suite struct BatcherTests {
    private func dataset() throws -> (TemporaryDataset, Dataset) {
        let folder = try TemporaryDataset(schema: exposureSchema(), files: ["train.csv": exposureTrain, "test.csv": exposureTest])
        return (folder, try Dataset.load(folder.directory, cache: .ignore))
    }

    @Test func sameSeedSameBatchesAndEveryRowOnce() throws {
        let (_, dataset) = try dataset()
        let first = try Batcher(dataset: dataset, split: "train", batchSize: 3, seed: 5)
        let second = try Batcher(dataset: dataset, split: "train", batchSize: 3, seed: 5)
        #expect(first.batches(epoch: 0).map(Array.init) == second.batches(epoch: 0).map(Array.init))
        #expect(first.rowOrder(epoch: 0).sorted() == [0, 1, 2, 3])
        #expect(first.batches(epoch: 0).map(\.count) == [3, 1])
        let orders = Set((0..<8).map { first.rowOrder(epoch: $0) })
        #expect(orders.count > 1, "epochs shuffle differently")
    }

    @Test func dropLastAndNoShuffle() throws {
        let (_, dataset) = try dataset()
        let batcher = try Batcher(dataset: dataset, split: "train", batchSize: 3, shuffle: false, dropLast: true)
        #expect(batcher.batches(epoch: 0).map(Array.init) == [[0, 1, 2]])
    }

    @Test func filterSelectsRows() throws {
        let (_, dataset) = try dataset()
        let clicks = try dataset.split("train").column("click")!.values.floats!
        let batcher = try Batcher(dataset: dataset, split: "train", batchSize: 10, shuffle: false) { row, _, _ in
            clicks[row] > 0
        }
        #expect(batcher.rowOrder(epoch: 0) == [0, 3])
    }

    @Test func sequencesArePaddedTruncatedAndMasked() throws {
        let (_, dataset) = try dataset()
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: 4, shuffle: false,
            sequences: ["history": SequencePolicy(length: 2)])
        let batch = batcher.batch(batcher.batches(epoch: 0)[0])
        let history = try #require(batch.sequences["history"])
        // Rows: [11,12] → [2,3]; [10] → [1,pad]; [] → [pad,pad]; [12,12,11] keeps the last two.
        // Padding is the item vocabulary's size (id 0 and items 10, 11, 12): 4, never a real id.
        #expect(history.ids == [2, 3, 1, 4, 4, 4, 3, 2])
        #expect(history.mask == [1, 1, 1, 0, 0, 0, 1, 1])
        #expect(history.paddingID == 4 && batcher.paddingIDs == ["history": 4])
        #expect(dataset.vocabulary(for: "history")?.size == 4)
        #expect(batch.keys["user"]?.count == 4)
        #expect(try batch.denseTensor(["price", "click"]).shape == [4, 2])
        #expect(try batch.idMatrix(["user", "item"]) == [1, 1, 1, 2, 2, 3, 3, 1])
    }

    @Test func idListWithoutVocabularyIsRefusedByName() throws {
        let history = ColumnSchema(name: "history", kind: .idList, separator: "|")
        let schema = DatasetSchema(
            name: "lists", tables: ["train": TableFile(file: "train.csv")], columns: [history], storage: .binary)
        let table = Table(
            name: "train", rowCount: 1,
            columns: [Column(schema: history, values: .lists(ids: ColumnBuffer([3]), offsets: ColumnBuffer([0, 1])))])
        let dataset = try Dataset.inMemory(directory: "lists", schema: schema, splits: ["train": table])
        #expect {
            try Batcher(dataset: dataset, split: "train", batchSize: 1)
        } throws: { error in
            "\(error)".contains("no column 'history'") && "\(error)".contains("needs a vocabulary")
        }
        // Not gathered, not refused.
        #expect(try Batcher(dataset: dataset, split: "train", batchSize: 1, columns: []).paddingIDs.isEmpty)
    }

    @Test func unknownColumnIsRefusedByName() throws {
        let (_, dataset) = try dataset()
        #expect {
            try Batcher(dataset: dataset, split: "train", batchSize: 2, columns: ["conversion"])
        } throws: { error in
            "\(error)".contains("no column 'conversion'")
        }
    }
}
