import Foundation
@testable import FunnelLanguage

/// Writes small GGUF files for the tests, laid out as ggml `docs/gguf.md` describes (header,
/// metadata, tensor infos, padding to the alignment, aligned tensor data), written here
/// independently of ``GGUFFile`` so that the reader is checked against the spec, not itself.
struct SyntheticGGUF {
    struct Tensor {
        var name: String
        var dimensions: [Int]
        var type: UInt32
        var bytes: [UInt8]
    }

    var version: UInt32 = 3
    var metadata: [(key: String, value: GGUFValue)] = []
    var tensors: [Tensor] = []
    /// The padding used; set `general.alignment` in `metadata` to match when not 32.
    var alignment = 32

    /// Where the parts of the written file start, for the truncation tests.
    struct Layout {
        var metadataStart = 0
        var tensorInfoStart = 0
        var tensorInfoStarts: [Int] = []
        var dataStart = 0
        var tensorDataStarts: [Int] = []
    }

    func encoded() -> (bytes: [UInt8], layout: Layout) {
        var bytes: [UInt8] = Array("GGUF".utf8)
        var layout = Layout()
        Self.append(version, to: &bytes)
        Self.append(UInt64(tensors.count), to: &bytes)
        Self.append(UInt64(metadata.count), to: &bytes)
        layout.metadataStart = bytes.count
        for (key, value) in metadata {
            Self.append(.string(key), to: &bytes)
            Self.append(value.type.rawValue, to: &bytes)
            Self.append(value, to: &bytes)
        }
        layout.tensorInfoStart = bytes.count
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            layout.tensorInfoStarts.append(bytes.count)
            Self.append(.string(tensor.name), to: &bytes)
            Self.append(UInt32(tensor.dimensions.count), to: &bytes)
            for dimension in tensor.dimensions { Self.append(UInt64(dimension), to: &bytes) }
            Self.append(tensor.type, to: &bytes)
            Self.append(UInt64(offset), to: &bytes)
            offsets.append(offset)
            offset = (offset + tensor.bytes.count + alignment - 1) / alignment * alignment
        }
        while bytes.count % alignment != 0 { bytes.append(0) }
        layout.dataStart = bytes.count
        for (tensor, offset) in zip(tensors, offsets) {
            while bytes.count < layout.dataStart + offset { bytes.append(0) }
            layout.tensorDataStarts.append(bytes.count)
            bytes += tensor.bytes
        }
        return (bytes, layout)
    }

    static func append<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// A value's payload (its type tag is written by the caller, as in the file).
    static func append(_ value: GGUFValue, to bytes: inout [UInt8]) {
        switch value {
        case .uint8(let value): append(value, to: &bytes)
        case .int8(let value): append(value, to: &bytes)
        case .uint16(let value): append(value, to: &bytes)
        case .int16(let value): append(value, to: &bytes)
        case .uint32(let value): append(value, to: &bytes)
        case .int32(let value): append(value, to: &bytes)
        case .uint64(let value): append(value, to: &bytes)
        case .int64(let value): append(value, to: &bytes)
        case .float32(let value): append(value.bitPattern, to: &bytes)
        case .float64(let value): append(value.bitPattern, to: &bytes)
        case .bool(let value): bytes.append(value ? 1 : 0)
        case .string(let value):
            append(UInt64(value.utf8.count), to: &bytes)
            bytes += value.utf8
        case .array(let elementType, let values):
            append(elementType.rawValue, to: &bytes)
            append(UInt64(values.count), to: &bytes)
            for element in values { append(element, to: &bytes) }
        }
    }
}

/// Block bytes with hand-computed values, shared by the GGUF and quantisation tests.
enum SyntheticBlocks {
    /// Nibble byte `j` holds `j` low (element `j`) and `15 − j` high (element `16 + j`).
    static let nibbles: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
    static func nibbleValue(_ element: Int) -> Float { Float(element < 16 ? element : 15 - (element - 16)) }

    /// Q4_0 with d = 0.25 (f16 0x3400): element i = (q − 8) · 0.25.
    static let q4_0 = half(0x3400) + nibbles
    static let q4_0Values = (0..<32).map { (nibbleValue($0) - 8) * 0.25 }

    /// Q4_1 with d = 0.5 (0x3800) and m = −1 (0xBC00): element i = q · 0.5 − 1; then a second
    /// block, d = 2 (0x4000), m = 0.25 (0x3400), every byte 0x21: 2.25 × 16, then 4.25 × 16.
    static let q4_1 = half(0x3800) + half(0xBC00) + nibbles
    static let q4_1Values = (0..<32).map { nibbleValue($0) * 0.5 - 1 }
    static let q4_1Second = half(0x4000) + half(0x3400) + [UInt8](repeating: 0x21, count: 16)
    static let q4_1SecondValues = [Float](repeating: 2.25, count: 16) + [Float](repeating: 4.25, count: 16)

    /// Q8_0 with d = 0.125 (0x3000) and q = i − 16; then d = −1 (0xBC00), q = 127, −128, 0, …
    /// (0 · −1 is −0, as in ggml).
    static let q8_0 = half(0x3000) + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
    static let q8_0Values = (0..<32).map { Float($0 - 16) * 0.125 }
    static let q8_0Second = half(0xBC00) + [127, 128] + [UInt8](repeating: 0, count: 30)
    static let q8_0SecondValues: [Float] = [-127, 128] + [Float](repeating: -0.0, count: 30)

    static func half(_ bits: UInt16) -> [UInt8] { [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
}

/// A fresh temporary folder per test file written.
func writeTemporaryFile(_ bytes: [UInt8], name: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-language-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// The error `body` throws, as a ``LanguageFileError`` (`nil` when it throws nothing or another error).
func languageFileError(_ body: () throws -> Void) -> LanguageFileError? {
    do {
        try body()
        return nil
    } catch {
        return error as? LanguageFileError
    }
}
