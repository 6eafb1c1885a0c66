import Foundation
import Testing

@testable import FunnelData

/// The token layout of sequential.md §4.1 step 4 and the codes file saved with a dataset.
@Suite struct SemanticIDsTests {
    /// Three items, two digits of 256 codes.
    static let codes = SemanticIDs(
        method: "test", digitSizes: [256, 256], ordered: true, trainedItems: 3, source: "unit test",
        codes: [0, 0, 5, 255, 0, 7, 5, 255])

    @Test func digitTokensLieInTheirOwnRanges() {
        let codes = Self.codes
        for item in 1...codes.itemCount {
            for digit in 0..<codes.digits {
                let token = Int(codes.token(item: item, digit: digit))
                // §4.9: digit k (1-based) lies in [256(k − 1) + 1, 256k].
                #expect((256 * digit + 1)...(256 * (digit + 1)) ~= token)
            }
        }
        #expect(codes.token(item: 1, digit: 0) == 6)
        #expect(codes.token(item: 1, digit: 1) == 256 + 255 + 1)
        #expect(codes.tokenCount == 514)
        #expect(codes.endToken == 513)
        #expect(codes.collisions == 1)
    }

    @Test func unequalDigitsOffsetByTheEarlierSizes() {
        let codes = SemanticIDs(
            method: "test", digitSizes: [4, 2, 3], ordered: true, trainedItems: 1, source: "", codes: [0, 0, 0, 3, 1, 2])
        #expect((0..<3).map { codes.tokenOffset(digit: $0) } == [0, 4, 6])
        #expect((0..<3).map { codes.token(item: 1, digit: $0) } == [4, 6, 9])
        #expect(codes.tokenCount == 11)
    }

    @Test func writesAndReadsBack() throws {
        let directory = NSTemporaryDirectory() + "funnel-semantic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.codes.write(directory: directory, name: "codes")
        #expect(try SemanticIDs.read(directory: directory, name: "codes") == Self.codes)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["codes.csv", "codes.json"])
    }

    @Test(arguments: [
        ("item,digit1,digit2\n1,5,255\n2,256,7\n", "codes.csv:3:2 (column 'digit1'): found '256', expected a code in 0 ..< 256"),
        ("item,digit1,digit2\n1,5,255\n3,0,7\n", "codes.csv:3:1 (column 'item'): found '3', expected item id 2"),
        ("item,digit1\n1,5\n", "expected the header item,digit1,digit2"),
        ("item,digit1,digit2\n1,5,255\n", "found '1 rows', expected 2 rows"),
    ])
    func refusesBadCodesWithTheirPlace(text: String, message: String) throws {
        let directory = NSTemporaryDirectory() + "funnel-semantic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let codes = SemanticIDs(
            method: "test", digitSizes: [256, 256], ordered: true, trainedItems: 2, source: "", codes: [0, 0, 5, 255, 0, 7])
        try codes.write(directory: directory, name: "codes")
        try text.write(toFile: directory + "/codes.csv", atomically: false, encoding: .utf8)
        #expect { try SemanticIDs.read(directory: directory, name: "codes") } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func refusesAnUnknownManifestField() throws {
        let directory = NSTemporaryDirectory() + "funnel-semantic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.codes.write(directory: directory, name: "codes")
        let manifest = #"{"method": "x", "digitSizes": [256, 256], "ordered": true, "itemCount": 3, "trainedItems": 3, "source": "", "digits": 2}"#
        try manifest.write(toFile: directory + "/codes.json", atomically: false, encoding: .utf8)
        #expect { try SemanticIDs.read(directory: directory, name: "codes") } throws: { error in
            "\(error)".contains("codes.json") && "\(error)".contains("digits")
        }
        #expect { try SemanticIDs.read(directory: directory, name: "absent") } throws: { error in
            "\(error)".contains("absent.json: cannot be read")
        }
    }
}
