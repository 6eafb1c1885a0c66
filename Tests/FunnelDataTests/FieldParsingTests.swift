import Testing

@testable import FunnelData

@Suite struct FieldParsingTests {
    private func double(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBufferPointer { FieldParsing.double($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0, $0.count) }
    }

    private func integer(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBufferPointer { FieldParsing.integer($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0, $0.count) }
    }

    @Test(arguments: ["0", "1", "-2.5", "3.14159", "1e-5", "-1.25E+3", ".5", "5.", "0.000123456", "123456789012345678901234", "1e300", "inf", "-nan"])
    func doublesMatchTheStandardLibrary(text: String) {
        let expected = Double(text)!
        let parsed = double(text)
        if expected.isNaN {
            #expect(parsed?.isNaN == true)
        } else {
            #expect(parsed == expected)
        }
    }

    @Test(arguments: ["", "-", "1.2.3", "1e", "abc", "1,5", "1 2"])
    func rejectsWhatIsNotANumber(text: String) {
        #expect(double(text) == nil)
    }

    @Test func integers() {
        #expect(integer("42") == 42)
        #expect(integer("-7") == -7)
        #expect(integer("9223372036854775807") == .max)
        #expect(integer("9223372036854775808") == nil)
        #expect(integer("1.0") == nil)
        #expect(integer("") == nil)
        #expect(integer(" 12 ") == 12)
        #expect(double("\t-1.5 ") == -1.5)
    }
}
