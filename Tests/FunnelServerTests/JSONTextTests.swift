import Foundation
import Testing

@testable import FunnelServer

/// ``JSONText``: what it writes parses back to the same values, numbers bit for bit.
struct JSONTextTests {
    @Test func writesWhatParsesBack() throws {
        let numbers: [Double] = [0.1, 1.0 / 3, 0.4070106226617075, 1e-300, -2.5e17, 0, 5]
        let awkward = "quote \" backslash \\ tab \t newline \n bell \u{7} é ✓"
        var text = JSONText()
        text.beginObject()
        text.key(awkward)
        text.string(awkward)
        text.key("numbers")
        text.beginArray()
        for number in numbers { text.number(number) }
        text.endArray()
        text.key("rows")
        text.beginArray()
        for row in 0..<2 {
            text.beginObject()
            text.key("row")
            text.integer(row)
            text.key("empty")
            text.beginArray()
            text.endArray()
            text.endObject()
        }
        text.endArray()
        text.key("nothing")
        text.number(.nan)
        text.endObject()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.bytes)) as? [String: Any])
        #expect(object[awkward] as? String == awkward)
        // Each number's text is its shortest round-trip decimal: parsing it gives the same bits.
        let written = String(decoding: text.bytes, as: UTF8.self)
        for number in numbers { #expect(written.contains(number.description) && Double(number.description) == number) }
        #expect((object["numbers"] as? [NSNumber])?.count == numbers.count)
        #expect((object["rows"] as? [[String: Any]])?.compactMap { $0["row"] as? Int } == [0, 1])
        #expect(object["nothing"] is NSNull)
    }
}
