import Foundation
import Testing

@testable import FunnelConversation

@Suite struct StageFileTests {
    struct Item: Codable, Equatable {
        var name: String
        var count: Int
    }

    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stage-file-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// An interrupted journal resumes after its last whole record; the torn line is dropped and
    /// nothing finished is lost.
    @Test func journalResumesAfterATornLine() throws {
        let path = try folder() + "/dialogues.jsonl"
        let first = try StageJournal<Item>(path: path)
        try first.append(Item(name: "a", count: 1))
        try first.append(Item(name: "b", count: 2))
        let handle = try #require(FileHandle(forWritingAtPath: path + ".partial"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"name": "c", "cou"#.utf8))
        try handle.close()
        let resumed = try StageJournal<Item>(path: path)
        #expect(resumed.records == [Item(name: "a", count: 1), Item(name: "b", count: 2)])
        try resumed.append(Item(name: "c", count: 3))
        #expect(!StageFile.exists(path))
        try resumed.finish()
        #expect(try StageFile.readLines(Item.self, from: path).map(\.name) == ["a", "b", "c"])
        #expect(!StageFile.exists(path + ".partial"))
    }

    @Test func aBrokenRecordBeforeTheLastIsRefusedWithItsLine() throws {
        let path = try folder() + "/dialogues.jsonl"
        try Data("{\"name\": \"a\", \"count\": 1}\n{\"name\": \"b\"}\n{\"name\": \"c\", \"count\": 3}\n".utf8).write(to: URL(fileURLWithPath: path + ".partial"))
        #expect(throws: ConversationError.file(path + ".partial", line: 2, field: "count", "missing")) {
            try StageJournal<Item>(path: path)
        }
        try Data("{\"name\": \"a\", \"count\": \"x\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConversationError.file(path, line: 1, field: "count", "expected Int")) {
            try StageFile.readLines(Item.self, from: path)
        }
    }

    @Test func documentsAreWrittenWhole() throws {
        let path = try folder() + "/report.json"
        try StageFile.writeJSON([Item(name: "a", count: 1)], to: path)
        #expect(try StageFile.readJSON([Item].self, from: path) == [Item(name: "a", count: 1)])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(leftovers == ["report.json"])
    }
}
