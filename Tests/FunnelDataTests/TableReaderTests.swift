import Foundation
import Testing

@testable import FunnelData

@Suite struct TableReaderTests {
    private func load(_ train: String, badRows: BadRowPolicy = .stop, itemVocabulary: Vocabulary = .built(minimumCount: 1)) throws -> Dataset {
        let folder = try TemporaryDataset(
            schema: exposureSchema(badRows: badRows, itemVocabulary: itemVocabulary),
            files: ["train.csv": train, "test.csv": exposureTest])
        return try Dataset.load(folder.directory, cache: .ignore)
    }

    private func expectError(_ expected: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected the error \(expected)", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".hasSuffix(expected), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func readsValuesListsAndDefaults() throws {
        let dataset = try load(exposureTrain)
        let train = try dataset.split("train")
        #expect(train.rowCount == 4)
        #expect(train.column("user")?.values.ids?.array == [1, 1, 2, 3])
        #expect(train.column("price")?.values.floats?.array == [1.5, 2, 0, 0.25])
        #expect(train.column("click")?.values.floats?.array == [1, 0, 0, 1])
        guard case .lists(let ids, let offsets) = train.column("history")?.values else {
            Issue.record("history is not a list")
            return
        }
        // Item ids in order of first appearance across item and history: 10, 11, 12.
        #expect(ids.array == [2, 3, 1, 3, 3, 2])
        #expect(offsets.array == [0, 2, 3, 3, 6])
        let report = dataset.reports.first { $0.file.hasSuffix("train.csv") }!
        #expect(report.rowsRepaired == 1)
        #expect(report.emptyValues == ["price": 1, "history": 1])
    }

    @Test func unseenIdsMapToTheReservedIdAndAreCounted() throws {
        let dataset = try load(exposureTrain)
        let test = try dataset.split("test")
        #expect(test.column("user")?.values.ids?.array == [1, 0])
        #expect(test.column("item")?.values.ids?.array == [1, 0])
        let report = dataset.reports.first { $0.file.hasSuffix("test.csv") }!
        #expect(report.outOfVocabulary == ["user": 1, "item": 1, "history": 1])
        // Raw keys keep unseen users distinct for GAUC.
        let keys = test.column("user")?.keys?.array ?? []
        #expect(keys.count == 2 && keys[0] != keys[1])
    }

    @Test func badNumberNamesFileLineAndColumn() {
        expectError("train.csv:3:3 (column 'price'): found 'abc', expected a number") {
            _ = try load("user,item,price,history,click\nu1,10,1,,1\nu2,11,abc,,0\n")
        }
    }

    @Test func wrongFieldCount() {
        expectError("train.csv:2: found 4 fields, expected 5") {
            _ = try load("user,item,price,history,click\nu1,10,1,1\n")
        }
    }

    @Test func unterminatedQuote() {
        expectError("train.csv:3:1: a quoted field is not closed before the end of the file") {
            _ = try load("user,item,price,history,click\nu1,10,1,,1\n\"u2,11,2,,0\n")
        }
    }

    @Test func unknownIdWithHashingOff() {
        expectError("train.csv:2:2 (column 'item'): found '12', expected an id in 0..<12 (identity vocabulary: unknown ids are not hashed)") {
            _ = try load("user,item,price,history,click\nu1,12,1,,1\n", itemVocabulary: .identity(size: 12))
        }
    }

    @Test func emptyLabelIsAnError() {
        expectError("train.csv:2:5 (column 'click'): found '', expected a number (the field is empty)") {
            _ = try load("user,item,price,history,click\nu1,10,1,,\n")
        }
    }

    @Test func missingColumnListsTheHeader() {
        expectError("train.csv: no column 'click' in the header (user, item, price, history)") {
            _ = try load("user,item,price,history\nu1,10,1,\n")
        }
    }

    @Test func skipPolicyCountsAndKeepsTheRest() throws {
        let dataset = try load(
            "user,item,price,history,click\nu1,10,1,,1\nu2,11,x,,0\nu3,12,2,10|11,1\nu4,13\n", badRows: .skip)
        let train = try dataset.split("train")
        #expect(train.rowCount == 2)
        #expect(train.column("price")?.values.floats?.array == [1, 2])
        guard case .lists(_, let offsets) = train.column("history")?.values else { return }
        #expect(offsets.array == [0, 0, 2])
        let report = dataset.reports.first { $0.file.hasSuffix("train.csv") }!
        #expect(report.rowsRead == 4 && report.rowsLoaded == 2 && report.rowsSkipped == 2)
        #expect(report.errors.count == 2)
        #expect(report.errors[0].hasSuffix("train.csv:3:3 (column 'price'): found 'x', expected a number"))
    }

    @Test func quotedFieldsCRLFAndBlankLines() throws {
        let dataset = try load("user,item,price,history,click\r\n\"u,1\",10,\"1.5\",\"11|12\",1\r\n\r\n\"say \"\"hi\"\"\",11,2,,0\r\n")
        let train = try dataset.split("train")
        #expect(train.rowCount == 2)
        #expect(train.column("price")?.values.floats?.array == [1.5, 2])
        #expect(dataset.reports.first { $0.file.hasSuffix("train.csv") }?.blankLines == 1)
    }
}
