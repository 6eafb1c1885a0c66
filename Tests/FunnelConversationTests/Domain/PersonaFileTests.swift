import Foundation
import Testing

@testable import FunnelConversation

@Suite struct PersonaFileTests {
    private let persona = Persona(
        id: "test-0000", userId: "42", behaviour: .detailOriented,
        linguistics: "Writes short, casual messages in lower case.",
        preferences: "Enjoys Comedy and Drama.",
        likedTitles: ["Heat (1995)", "Say \"Anything\" (1989)"],
        targetIds: ["1", "6/7"])

    private let validLine =
        #"{"behaviour":"efficiency-seeking","id":"train-0001","likedTitles":["A"],"linguistics":"L","preferences":"P","targetIds":["9"],"userId":"7"}"#

    @Test func aWrittenFileReadsBackIdenticallyWithSortedKeysAndNoTemporaryFile() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("personas.jsonl").path
        try PersonaFile.write([persona, persona], to: path)
        #expect(try PersonaFile.read(path: path) == [persona, persona])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix(#"{"behaviour":"detail-oriented","id":"test-0000","likedTitles":"#))
        #expect(text.split(separator: "\n").count == 2)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["personas.jsonl"])
    }

    @Test func readsAValidLine() throws {
        let path = try write(validLine + "\n\n", to: "personas.jsonl", in: try temporaryFolder())
        #expect(
            try PersonaFile.read(path: path) == [
                Persona(
                    id: "train-0001", userId: "7", behaviour: .efficiencySeeking, linguistics: "L",
                    preferences: "P",
                    likedTitles: ["A"], targetIds: ["9"])
            ])
    }

    @Test func eachFieldProblemIsRefusedWhereItIs() throws {
        let folder = try temporaryFolder()
        func replacing(_ old: String, _ new: String) -> String {
            validLine.replacingOccurrences(of: old, with: new)
        }
        let cases: [(line: String, field: String?, reason: String)] = [
            (
                replacing("efficiency-seeking", "x"), "behaviour",
                "expected one of efficiency-seeking, detail-oriented, exploration-oriented, found \"x\""
            ),
            (replacing(#""userId":"7""#, #""user":"7""#), "userId", "missing"),
            (replacing(#""id":"train-0001""#, #""id":3"#), "id", "expected a string, found 3"),
            (
                replacing(#""linguistics":"L""#, #""linguistics":null"#), "linguistics",
                "expected a string, found null"
            ),
            (
                replacing(#""likedTitles":["A"]"#, #""likedTitles":"A""#), "likedTitles",
                "expected an array of strings, found the string \"A\""
            ),
            (
                replacing(#""targetIds":["9"]"#, #""targetIds":[9]"#), "targetIds[0]",
                "expected a string, found 9"
            ),
            (
                replacing(#""preferences":"P""#, #""preferences":{}"#), "preferences",
                "expected a string, found an object"
            ),
            ("not json", nil, "expected a JSON object, found not json"),
            ("[1, 2]", nil, "expected a JSON object, found [1, 2]"),
        ]
        for (line, field, reason) in cases {
            let path = try write(
                validLine + "\n" + line + "\n", to: "\(UUID().uuidString).jsonl", in: folder)
            #expect(throws: ConversationError.file(path, line: 2, field: field, reason)) {
                try PersonaFile.read(path: path)
            }
        }
    }

    @Test func anEmptyOrMissingFileIsRefused() throws {
        let folder = try temporaryFolder()
        let empty = try write("\n", to: "empty.jsonl", in: folder)
        #expect(
            throws: ConversationError.file(empty, "is empty: expected one JSON object per line")
        ) {
            try PersonaFile.read(path: empty)
        }
        let missing = folder.appendingPathComponent("missing.jsonl").path
        #expect(throws: ConversationError.file(missing, "cannot be read")) {
            try PersonaFile.read(path: missing)
        }
    }
}
