import Foundation
import Testing

@testable import FunnelData

/// ``RowEncoder``: rows sent by name encode to the ids, values and joins the loader gives the
/// same rows of a file, and every bad field is refused by its path.
@Suite struct RowEncoderTests {
    /// The exposure log of TemporaryDataset.swift with an item side table.
    private let schema: DatasetSchema = {
        var schema = exposureSchema()
        schema.sideTables = [
            SideTableSchema(
                name: "item", table: TableFile(file: "item.csv"), key: ["item"],
                columns: [
                    ColumnSchema(name: "item", kind: .categorical, vocabularyOf: "item"),
                    ColumnSchema(name: "brand", kind: .categorical, vocabulary: .built(minimumCount: 1)),
                ])
        ]
        return schema
    }()

    private func dataset() throws -> (TemporaryDataset, Dataset) {
        let folder = try TemporaryDataset(schema: schema, files: [
            "train.csv": exposureTrain, "test.csv": exposureTest, "item.csv": "item,brand\n10,acme\n12,zeta\n",
        ])
        return (folder, try Dataset.load(folder.directory, cache: .ignore))
    }

    @Test func encodesRowsAsTheLoaderDoes() throws {
        let (folder, dataset) = try dataset()
        defer { withExtendedLifetime(folder) {} }
        let encoder = try RowEncoder(dataset: dataset, reading: ["user", "item", "price", "history", "item.brand", "click"])
        #expect(encoder.required == ["history", "item", "price", "user"])
        // The test file's rows: u9 and item 99 are out of the vocabulary (id 0), as in training.
        let rows: [[String: RowField]] = [
            ["user": .text("u1"), "item": .text("10"), "price": .text("1"), "history": .list(["12"])],
            ["user": .text("u9"), "item": .text("99"), "price": .text("3"), "history": .text("10|99")],
        ]
        let encoded = try encoder.table(rows)
        let test = try dataset.split("test")
        let columns: Set<String> = ["user", "item", "price", "history", "item.brand"]
        let sequences = ["history": SequencePolicy(length: 3)]
        let fromRequest = try Batcher(dataset: dataset, table: encoded, batchSize: 2, shuffle: false, columns: columns, sequences: sequences)
        let fromFile = try Batcher(dataset: dataset, split: "test", batchSize: 2, shuffle: false, columns: columns, sequences: sequences)
        let requested = fromRequest.batch(fromRequest.batches(epoch: 0)[0])
        let read = fromFile.batch(fromFile.batches(epoch: 0)[0])
        #expect(requested.ids == read.ids)
        #expect(requested.floats == read.floats)
        #expect(requested.sequences["history"]?.ids == read.sequences["history"]?.ids)
        #expect(requested.present == read.present && requested.present["item"] == [1, 0])
        #expect(requested.ids["item"] == [1, 0] && test.rowCount == 2)
        // An empty price takes the column's default, as in a file.
        let defaulted = try encoder.table([["user": .text("u1"), "item": .text("10"), "price": .missing, "history": .missing]])
        #expect(defaulted.column("price")?.values.floats?.array == [0])
        // Labels the request leaves out are missing values.
        #expect(encoded.column("click")?.values.floats?.array.allSatisfy(\.isNaN) == true)
    }

    @Test func refusesBadFieldsByTheirPath() throws {
        let (folder, dataset) = try dataset()
        defer { withExtendedLifetime(folder) {} }
        let encoder = try RowEncoder(dataset: dataset, reading: ["user", "item", "price"])
        let good: [String: RowField] = ["user": .text("u1"), "item": .text("10"), "price": .text("2")]
        func refusal(_ row: [String: RowField]) -> RowEncodingError? {
            do {
                _ = try encoder.table([good, row])
                return nil
            } catch {
                return error as? RowEncodingError
            }
        }
        var missing = good
        missing["item"] = nil
        #expect(refusal(missing)?.description == "rows[1].item: missing; the model reads this column")
        var unknown = good
        unknown["prise"] = .text("2")
        #expect(refusal(unknown)?.path == "rows[1].prise")
        #expect(refusal(unknown)?.message.contains("not a column of dataset 'exposures'") == true)
        var wrong = good
        wrong["price"] = .text("cheap")
        #expect(refusal(wrong)?.description == #"rows[1].price: expected a number, found "cheap""#)
        var list = good
        list["price"] = .list(["1"])
        #expect(refusal(list)?.description == "rows[1].price: expected a number, found a list")
        var badList = good
        badList["history"] = .list(["10|11"])
        #expect(refusal(badList)?.path == "rows[1].history")
        #expect(try encoder.table([]).rowCount == 0)
    }

    @Test func identityVocabulariesRefuseIdsOutOfRange() throws {
        let folder = try TemporaryDataset(schema: exposureSchema(itemVocabulary: .identity(size: 100)), files: [
            "train.csv": exposureTrain, "test.csv": exposureTest,
        ])
        let dataset = try Dataset.load(folder.directory, cache: .ignore)
        let encoder = try RowEncoder(dataset: dataset, reading: ["user", "item"])
        #expect(try encoder.table([["user": .text("u1"), "item": .text("99")]]).column("item")?.values.ids?.array == [99])
        #expect(throws: RowEncodingError(
            row: 0, column: "item",
            message: #"expected an id in 0..<100 (identity vocabulary: unknown ids are not hashed), found "100""#)
        ) {
            try encoder.table([["user": .text("u1"), "item": .text("100")]])
        }
    }
}
