import Foundation
import FunnelTensor
import Testing
@testable import FunnelLanguage

@Suite struct GGMLQuantisationTests {
    static func dequantise(_ type: GGMLType, _ bytes: [UInt8], count: Int) -> [Float] {
        var output = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { source in
            output.withUnsafeMutableBufferPointer { destination in
                if let source = source.baseAddress, let destination = destination.baseAddress {
                    GGMLQuantisation.dequantise(type, from: source, count: count, into: destination)
                }
            }
        }
        return output
    }

    @Test func q4_0BlockIsQMinusEightTimesD() {
        // d = 0.25; byte j = j | (15 − j) << 4: element 0 = −2, 15 = 1.75, 16 = 1.75, 31 = −2.
        let values = Self.dequantise(.q4_0, SyntheticBlocks.q4_0, count: 32)
        #expect(values == SyntheticBlocks.q4_0Values)
        #expect((values[0], values[15], values[16], values[31]) == (-2, 1.75, 1.75, -2))
    }

    @Test func q4_1BlockIsQTimesDPlusM() {
        // d = 0.5, m = −1: element 0 = −1, 15 = 6.5, 16 = 6.5, 31 = −1.
        let values = Self.dequantise(.q4_1, SyntheticBlocks.q4_1 + SyntheticBlocks.q4_1Second, count: 64)
        #expect(values == SyntheticBlocks.q4_1Values + SyntheticBlocks.q4_1SecondValues)
        #expect((values[0], values[1], values[15], values[16], values[31]) == (-1, -0.5, 6.5, 6.5, -1))
    }

    @Test func q8_0BlockIsQTimesD() {
        // d = 0.125, q = i − 16; then d = −1, q = 127, −128.
        let values = Self.dequantise(.q8_0, SyntheticBlocks.q8_0 + SyntheticBlocks.q8_0Second, count: 64)
        #expect(values == SyntheticBlocks.q8_0Values + SyntheticBlocks.q8_0SecondValues)
        #expect((values[0], values[31], values[32], values[33]) == (-2, 1.875, -127, 128))
    }

    @Test func halfPrecisionWidensExactly() {
        let cases: [(UInt16, Float)] = [
            (0x0000, 0), (0x3C00, 1), (0xC000, -2), (0x3555, 0.333251953125), (0x7BFF, 65504),
            (0x0001, 0x1p-24), (0x03FF, 0x1.ff8p-15), (0x0400, 0x1p-14), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (bits, value) in cases {
            #expect(Float(halfPrecisionBits: bits) == value, "\(String(bits, radix: 16))")
        }
        #expect(Float(halfPrecisionBits: 0x8000).sign == .minus)
        #expect(Float(halfPrecisionBits: 0x7E00).isNaN)
    }

    @Test func typesAreNamedAndSized() {
        #expect(GGMLType(id: 12).description == "Q4_K (12)")
        #expect(GGMLType(id: 30).name == "BF16" && GGMLType(id: 20).name == "IQ4_NL" && GGMLType(id: 99).name == "unknown")
        #expect(GGMLType.q4_1.byteCount(elementCount: 576) == 18 * 20)
        #expect(GGMLType.q8_0.byteCount(elementCount: 576 * 49152) == 18 * 49152 * 34)
        #expect(GGMLType.q4_0.byteCount(elementCount: 33) == nil)
        #expect(GGMLType(id: 16).layout == nil)
        #expect(GGMLQuantisation.supportedTypeList == "F32, F16, BF16, Q4_0, Q4_1 or Q8_0")
        #expect(!GGMLQuantisation.canDequantise(.q4_k))
    }

    @Test func dequantisesARowRangeIntoACallersBuffer() throws {
        let file = try GGUFFile(path: GGUFFileTests.write(GGUFFileTests.model))
        let info = try file.tensor(named: "q4_1")
        var row = [Float](repeating: .nan, count: 40)
        try row.withUnsafeMutableBufferPointer { try file.dequantiseRows(info, rows: 1..<2, into: $0) }
        #expect(Array(row.prefix(32)) == SyntheticBlocks.q4_1SecondValues)
        #expect(row[32].isNaN)
        let outside = languageFileError {
            try row.withUnsafeMutableBufferPointer { try file.dequantiseRows(info, rows: 1..<3, into: $0) }
        }
        #expect(outside?.field == "tensor q4_1: rows")
        let small = languageFileError {
            try row.withUnsafeMutableBufferPointer { try file.dequantiseRows(info, rows: 0..<2, into: $0) }
        }
        #expect(small?.reason == "a buffer of 40 floats for 64 values")
        let raw = try file.withRawRows(info, rows: 1..<2) { Array(UnsafeRawBufferPointer(start: $0, count: 20)) }
        #expect(raw == SyntheticBlocks.q4_1Second)
    }
}
