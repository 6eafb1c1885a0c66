import Foundation
import Testing
@testable import FunnelLanguage

@Suite struct ByteAutomatonTests {
    /// Patterns with texts they must accept and texts they must reject.
    private static let tables: [(pattern: String, accepted: [String], rejected: [String])] = [
        ("abc", ["abc"], ["", "ab", "abcd", "abd"]),
        ("a|bc|", ["a", "bc", ""], ["b", "abc"]),
        ("(ab)*c", ["c", "abc", "ababc"], ["ac", "abab", "abcc"]),
        ("a+b?", ["a", "aaab", "ab"], ["", "b", "abb"]),
        ("x{2,4}", ["xx", "xxx", "xxxx"], ["x", "xxxxx"]),
        ("x{3}", ["xxx"], ["xx", "xxxx"]),
        ("x{2,}", ["xx", "xxxxxxx"], ["x"]),
        ("[a-c0-9 ]+", ["a1 b", "999", " "], ["d", "", "A"]),
        (#"[^\]]*"#, ["", "abc", "é日🎉", "[[", "a\nb"], ["]", "a]"]),
        (#"\d\s\w"#, ["1 a", "9\t_"], ["a 1", "11a"]),
        (#"\[\]\\\."#, [#"[]\."#], [#"[]\a"#]),
        (".", ["a", "é", "日", "🎉"], ["\n", "", "ab"]),
        ("[é日-日🎉]", ["é", "日", "🎉"], ["e", "本", "\u{E9}\u{E9}"]),
        ("[^a-z]", ["A", "é", "日", "🎉", "\u{10FFFF}"], ["a", "z", ""]),
        ("^(Ask|Search)$", ["Ask", "Search"], ["Ask$", "^Ask"]),
        (#"\x41\u{1F389}"#, ["A🎉"], ["A"]),
        ("[a-]-", ["a-", "--"], ["b-"]),
    ]

    @Test func acceptAndRejectTables() throws {
        for entry in Self.tables {
            let automaton = try ByteAutomaton(pattern: entry.pattern)
            for text in entry.accepted {
                #expect(
                    automaton.accepts(text),
                    "\(entry.pattern) should accept \(text.debugDescription)")
            }
            for text in entry.rejected {
                #expect(
                    !automaton.accepts(text),
                    "\(entry.pattern) should reject \(text.debugDescription)")
            }
        }
    }

    @Test func negatedClassesAcceptOnlyValidUTF8() throws {
        let automaton = try ByteAutomaton(pattern: "[^a]")
        #expect(!automaton.accepts(bytes: [0x80]))  // a lone continuation byte
        #expect(!automaton.accepts(bytes: [0xC3]))  // a truncated two-byte scalar
        #expect(!automaton.accepts(bytes: [0xC0, 0x80]))  // an overlong encoding
        #expect(!automaton.accepts(bytes: [0xED, 0xA0, 0x80]))  // a surrogate
        #expect(!automaton.accepts(bytes: [0xF4, 0x90, 0x80, 0x80]))  // beyond U+10FFFF
        #expect(automaton.accepts(bytes: [0xEF, 0xBF, 0xBD]))
        // Every scalar of a sample, one by one, against its UTF-8 bytes.
        for value in stride(from: UInt32(0), through: 0x10FFFF, by: 997) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(automaton.accepts(String(scalar)) == (scalar != "a"))
        }
    }

    @Test func deadStatesAreRemovedSoEveryStateCanFinish() throws {
        let automaton = try ByteAutomaton(pattern: "ab|ac")
        let afterA = try #require(automaton.next(automaton.initialState, byte: UInt8(ascii: "a")))
        #expect(automaton.next(afterA, byte: UInt8(ascii: "d")) == nil)
        #expect(automaton.next(automaton.initialState, byte: UInt8(ascii: "b")) == nil)
        #expect(automaton.run(Array("ab".utf8)).map(automaton.isAccepting) == true)
    }

    @Test func unsupportedSyntaxIsRefusedWithItsOffset() {
        let cases: [(String, Int)] = [
            ("ab(c", 2), ("ab)c", 2), ("*a", 0), ("a{3,2}", 1), ("a{1,999}", 1), ("[abc", 0),
            ("[]", 1), (#"\q"#, 0), ("(?:a)", 1), ("a]", 1), ("[z-a]", 1), ("a^", 1), (#"a\"#, 1),
        ]
        for (pattern, offset) in cases {
            do {
                _ = try ByteAutomaton(pattern: pattern)
                Issue.record("\(pattern) should be refused")
            } catch let error as GrammarError {
                #expect(error.location == .patternOffset(offset), "\(pattern): \(error)")
                #expect(error.description.hasPrefix("pattern offset \(offset): "))
            } catch {
                Issue.record("\(pattern): unexpected \(error)")
            }
        }
    }

    @Test func oversizedAutomataAreRefused() {
        #expect(throws: GrammarError.self) {
            try ByteAutomaton(pattern: "((((a{200}){200}){200}){200})")
        }
    }

    // MARK: JSON schema

    private static var bookSchema: [String: Any] {
        [
            "type": "object",
            "required": ["title", "year", "rating", "inPrint", "genres", "format"],
            "properties": [
                "title": ["type": "string", "maxLength": 40],
                "year": ["type": "integer"],
                "rating": ["type": "number"],
                "inPrint": ["type": "boolean"],
                "genres": [
                    "type": "array", "items": ["type": "string", "maxLength": 10], "maxItems": 3,
                ],
                "format": ["enum": ["hardcover", "e-book \"deluxe\""]],
            ] as [String: Any],
        ]
    }

    @Test func jsonSchemaAcceptsCanonicalDocumentsThatParseAndMatch() throws {
        let automaton = try ByteAutomaton(jsonSchema: Self.bookSchema)
        let accepted = [
            #"{"title":"Dune","year":1965,"rating":4.5,"inPrint":true,"genres":["sf","classic"],"format":"hardcover"}"#,
            #"{"title":"Caf\u00e9 \"Noir\"\n","year":-3,"rating":1e10,"inPrint":false,"genres":[],"format":"e-book \"deluxe\""}"#,
            #"{"title":"日本🎉","year":0,"rating":-0.25E-2,"inPrint":true,"genres":["a\/b"],"format":"hardcover"}"#,
        ]
        for text in accepted {
            #expect(automaton.accepts(text), "should accept \(text)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(object["title"] is String)
            #expect((object["genres"] as? [String]).map { $0.count <= 3 } == true)
            #expect(["hardcover", "e-book \"deluxe\""].contains(object["format"] as? String ?? ""))
        }
        let rejected = [
            // not in enum
            #"{"title":"Dune","year":1965,"rating":4.5,"inPrint":true,"genres":["sf"],"format":"paperback"}"#,
            // order
            #"{"year":1965,"title":"Dune","rating":4.5,"inPrint":true,"genres":[],"format":"hardcover"}"#,
            // space
            #"{"title":"Dune", "year":1965,"rating":4.5,"inPrint":true,"genres":[],"format":"hardcover"}"#,
            // leading 0
            #"{"title":"Dune","year":01,"rating":4.5,"inPrint":true,"genres":[],"format":"hardcover"}"#,
            // not integer
            #"{"title":"Dune","year":1.5,"rating":4.5,"inPrint":true,"genres":[],"format":"hardcover"}"#,
            // raw quote
            #"{"title":"a"b","year":1,"rating":4,"inPrint":true,"genres":[],"format":"hardcover"}"#,
            // control
            "{\"title\":\"a\u{01}\",\"year\":1,\"rating\":4,\"inPrint\":true,\"genres\":[],\"format\":\"hardcover\"}",
            // surrogate escape
            #"{"title":"\ud800","year":1,"rating":4,"inPrint":true,"genres":[],"format":"hardcover"}"#,
            // maxItems
            #"{"title":"a","year":1,"rating":4,"inPrint":true,"genres":["a","b","c","d"],"format":"hardcover"}"#,
            #"{"title":"a","year":1,"rating":4,"inPrint":yes,"genres":[],"format":"hardcover"}"#,
        ]
        for text in rejected {
            #expect(!automaton.accepts(text), "should reject \(text)")
        }
    }

    @Test func jsonSchemaIntegerBoundsAndRaterShape() throws {
        let rater: [String: Any] = [
            "type": "object", "required": ["reason", "rating"],
            "properties": [
                "reason": ["type": "string"],
                "rating": ["type": "integer", "minimum": 0, "maximum": 5],
            ] as [String: Any],
        ]
        let automaton = try ByteAutomaton(jsonSchema: rater)
        #expect(automaton.accepts(#"{"reason":"close match","rating":4}"#))
        #expect(!automaton.accepts(#"{"reason":"close match","rating":6}"#))
        #expect(!automaton.accepts(#"{"reason":"x","rating":-1}"#))
    }

    @Test func unsupportedSchemasNameTheirPath() {
        let cases: [([String: Any], String)] = [
            (
                [
                    "type": "object", "properties": ["a": ["type": "string"]],
                    "required": [String](),
                ], "#/properties/a"
            ),
            (
                [
                    "type": "object", "properties": ["a": ["type": "string", "pattern": "x"]],
                    "required": ["a"],
                ], "#/properties/a/pattern"
            ),
            (["type": "array", "items": ["type": "integer"]], "#/maxItems"),
            (["type": "array", "items": ["type": "date"], "maxItems": 2], "#/items/type"),
            (["anyOf": [["type": "string"]]], "#"),
            (["enum": [1, 2]], "#/enum"),
            (["type": "object", "required": ["b"], "properties": [String: Any]()], "#/required"),
        ]
        for (schema, path) in cases {
            do {
                _ = try ByteAutomaton(jsonSchema: schema)
                Issue.record("\(schema) should be refused")
            } catch let error as GrammarError {
                #expect(error.location == .schemaPath(path), "\(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
