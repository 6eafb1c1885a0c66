import Foundation

@testable import FunnelData

/// A dataset folder in a fresh temporary directory, removed when the value is released.
final class TemporaryDataset {
    let directory: String

    init(schema: DatasetSchema, files: [String: String]) throws {
        directory = NSTemporaryDirectory() + "funnel-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try schema.write(directory: directory)
        for (name, contents) in files { try write(name, contents) }
    }

    func write(_ name: String, _ contents: String) throws {
        try contents.write(toFile: directory + "/" + name, atomically: false, encoding: .utf8)
    }

    /// Every file name in the folder (to check nothing half-written stays behind).
    var fileNames: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory).sorted()) ?? []
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A small exposure log: user, item, a dense feature, a click label, a history of items.
func exposureSchema(badRows: BadRowPolicy = .stop, itemVocabulary: Vocabulary = .built(minimumCount: 1)) -> DatasetSchema {
    DatasetSchema(
        name: "exposures",
        tables: ["train": TableFile(file: "train.csv"), "test": TableFile(file: "test.csv")],
        columns: [
            ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .built(minimumCount: 1)),
            ColumnSchema(name: "item", kind: .categorical, role: .item, vocabulary: itemVocabulary),
            ColumnSchema(name: "price", kind: .dense, empty: .useDefault, defaultValue: "0"),
            ColumnSchema(name: "history", kind: .idList, separator: "|", empty: .missing, vocabularyOf: "item"),
            ColumnSchema(name: "click", kind: .label),
        ],
        badRows: badRows)
}

let exposureTrain = """
    user,item,price,history,click
    u1,10,1.5,11|12,1
    u1,11,2,10,0
    u2,12,,,0
    u3,10,0.25,12|12|11,1

    """

let exposureTest = """
    user,item,price,history,click
    u1,10,1,12,1
    u9,99,3,10|99,0

    """
