import Foundation
import Testing

@testable import FunnelServer

/// ``JSONNode``: RFC 8259 texts parse to what `JSONSerialization` reads, numbers keep their
/// text, and every malformed text is refused with the byte it breaks at.
struct JSONNodeTests {
    /// The node as the Foundation objects `JSONSerialization` gives, for comparison.
    private func foundation(_ node: JSONNode) -> Any {
        switch node {
        case .string(let text): return text
        case .number(let text): return Double(text)!
        case .bool(let flag): return flag
        case .null: return NSNull()
        case .array(let elements): return elements.map(foundation)
        case .object(let members): return Dictionary(members.map { ($0.key, foundation($0.value)) }, uniquingKeysWith: { $1 })
        }
    }

    @Test(arguments: [
        #"{"rows": [{"user": 3, "item": "17", "price": -1.5e-3, "seen": true, "tags": [1, "a"], "gone": null}]}"#,
        #"  [ ] "#, #"{}"#, #""plain""#, #"0"#, #"-0.25E+2"#,
        #"{"escapes": "q\" b\\ s\/ \b\f\n\r\t \u00e9 \ud83d\ude00 ✓", "nested": {"a": [[], {}, [null, false]]}}"#,
    ])
    func parsesAsFoundationDoes(text: String) throws {
        let node = try JSONNode.parse(Array(text.utf8))
        let reference = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(NSArray(array: [foundation(node)]).isEqual(to: [reference]))
    }

    @Test func numbersKeepTheirText() throws {
        let node = try JSONNode.parse(Array(#"{"a": 7, "b": 7.0, "c": 1e-3, "d": -0}"#.utf8))
        #expect(node["a"] == .number("7") && node["b"] == .number("7.0") && node["c"] == .number("1e-3") && node["d"] == .number("-0"))
        #expect(node["missing"] == nil && JSONNode.number("1")["a"] == nil)
    }

    @Test(arguments: [
        (#"{"a": 1"#, "expected ',' or '}' at byte 7, found the end of the body"),
        (#"{"a" 1}"#, "expected ':' at byte 5, found '1'"),
        (#"{a: 1}"#, "expected a member name in quotes at byte 1, found 'a'"),
        (#"[1, 2,]"#, "expected a value at byte 6, found ']'"),
        (#"[01]"#, "expected no leading zero at byte 2, found '1'"),
        (#"[1.]"#, "expected a digit after '.' at byte 3, found ']'"),
        (#"[tru]"#, "expected 'true' at byte 1, found 't'"),
        (#""a\x""#, #"expected an escape (one of " \ / b f n r t u) at byte 3, found 'x'"#),
        (#""\ud800""#, "expected the low half of a surrogate pair at byte 7, found '\"'"),
        ("\"tab\there\"", "expected a character (control characters must be escaped) at byte 4, found '\t'"),
        (#"{} {}"#, "expected the end of the body at byte 3, found '{'"),
        (#""#, "expected a value at byte 0, found the end of the body"),
    ])
    func refusesMalformedTextAtItsByte(text: String, message: String) {
        #expect(throws: InvalidRequestError("the body is not valid JSON: " + message)) {
            try JSONNode.parse(Array(text.utf8))
        }
    }

    @Test func refusesDeepNesting() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: InvalidRequestError.self) { try JSONNode.parse(Array(deep.utf8)) }
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONNode.parse(Array(allowed.utf8)) }
    }
}
