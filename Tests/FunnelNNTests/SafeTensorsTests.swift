import Foundation
import FunnelTensor
import Testing

@testable import FunnelNN

/// The bytes of a safetensors file with one entry, built by hand.
private func file(dtype: String, shape: [Int], bytes: [UInt8]) -> Data {
    var header = #"{"x":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[0,\#(bytes.count)]}}"#
    while header.utf8.count % 8 != 0 { header += " " }
    var data = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(Data(header.utf8))
    data.append(contentsOf: bytes)
    return data
}

/// Little-endian bytes of 16-bit values.
private func bytes(_ values: [UInt16]) -> [UInt8] {
    values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
}

private func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "funnel-safetensors-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Two layers, so parameter names carry a path.
private final class Pair: Module {
    let first: Linear
    let second: Linear

    init(inputs: Int, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        first = Linear(inputs, 3, generator: &generator)
        second = Linear(3, 1, bias: false, generator: &generator)
        super.init()
    }
}

@Suite struct SafeTensorsTests {
    @Test func roundTrip() throws {
        let entries: [String: SafeTensors.Entry] = [
            "a.weight": SafeTensors.Entry(shape: [2, 2], values: .float32([1, -2.5, 3, .infinity])),
            "steps": SafeTensors.Entry(shape: [1], values: .int64([-7])),
            "empty": SafeTensors.Entry(shape: [0, 3], values: .float32([])),
        ]
        let data = try SafeTensors.encode(entries, metadata: ["format": "pt"])
        let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
        let (decoded, metadata) = try SafeTensors.decode(data, file: "x")
        #expect(decoded == entries && metadata == ["format": "pt"])
    }

    @Test func float16IsConvertedExactly() throws {
        // 1, −2, the largest half, the smallest subnormal, −0, infinity.
        let data = file(dtype: "F16", shape: [2, 3], bytes: bytes([0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00]))
        let entry = try #require(try SafeTensors.decode(data, file: "half").entries["x"])
        #expect(entry.shape == [2, 3])
        guard case .float32(let values) = entry.values else { Issue.record("F16 is read as float32"); return }
        #expect(values == [1, -2, 65504, 0x1p-24, 0, .infinity])
        #expect(values[4].sign == .minus)
        let nan = file(dtype: "F16", shape: [1], bytes: bytes([0x7E00]))
        guard case .float32(let nanValues) = try SafeTensors.decode(nan, file: "nan").entries["x"]?.values else {
            Issue.record("F16 NaN is read as float32")
            return
        }
        #expect(nanValues.count == 1 && nanValues[0].isNaN)
    }

    @Test func bfloat16IsConvertedExactly() throws {
        let data = file(dtype: "BF16", shape: [3], bytes: bytes([0x3F80, 0x4049, 0xC000]))
        #expect(try SafeTensors.decode(data, file: "brain").entries["x"]?.values == .float32([1, 3.140625, -2]))
    }

    @Test func int32IsWidened() throws {
        let values: [Int32] = [-1, .max, .min, 7]
        let raw = values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let data = file(dtype: "I32", shape: [4], bytes: raw)
        #expect(try SafeTensors.decode(data, file: "ints").entries["x"]?.values == .int64([-1, 2_147_483_647, -2_147_483_648, 7]))
    }

    @Test func truncatedFilesAreRefusedByName() throws {
        let data = try SafeTensors.encode(["w": SafeTensors.Entry(shape: [4], values: .float32([1, 2, 3, 4]))])
        for cut in [data.prefix(5), data.prefix(20), data.dropLast(1)] {
            #expect {
                try SafeTensors.decode(Data(cut), file: "model.safetensors")
            } throws: { error in
                "\(error)".hasPrefix("model.safetensors: ") && "\(error)".contains("truncated")
            }
        }
    }

    @Test func unknownDtypeAndWrongSizeAreRefusedByName() throws {
        #expect {
            try SafeTensors.decode(file(dtype: "F64", shape: [1], bytes: Array(repeating: 0, count: 8)), file: "double.safetensors")
        } throws: { error in
            "\(error)".hasPrefix("double.safetensors: ") && "\(error)".contains("entry 'x' has dtype F64")
        }
        #expect {
            try SafeTensors.decode(file(dtype: "F16", shape: [3], bytes: bytes([0x3C00, 0x3C00])), file: "short.safetensors")
        } throws: { error in
            "\(error)".hasPrefix("short.safetensors: ") && "\(error)".contains("4 bytes for shape [3]")
        }
    }

    @Test func moduleParametersRoundTrip() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        let saved = Pair(inputs: 2, seed: 1)
        try saved.saveParameters(to: path, metadata: ["format": "pt"])
        try saved.saveParameters(to: path, metadata: ["format": "pt"])  // replaces the file
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.safetensors"])
        let (entries, metadata) = try SafeTensors.read(file: path)
        #expect(entries.keys.sorted() == ["first.bias", "first.weight", "second.weight"] && metadata == ["format": "pt"])
        let loaded = Pair(inputs: 2, seed: 2)
        #expect(loaded.parameters().map(\.scalars) != saved.parameters().map(\.scalars))
        try loaded.loadParameters(from: path)
        #expect(loaded.parameters().map(\.scalars) == saved.parameters().map(\.scalars))
    }

    @Test func mismatchedParametersAreRefusedByName() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        try Pair(inputs: 2, seed: 1).saveParameters(to: path)
        let wider = Pair(inputs: 4, seed: 2)
        let before = wider.parameters().map(\.scalars)
        #expect {
            try wider.loadParameters(from: path)
        } throws: { error in
            "\(error)" == "\(path): parameter 'first.weight': shape [3, 2] in the file, [3, 4] in the model"
        }
        #expect(wider.parameters().map(\.scalars) == before, "nothing is loaded from a file that does not fit")
        var generator = RandomGenerator(seed: 3)
        let linear = Linear(2, 3, generator: &generator)
        #expect {
            try linear.loadParameters(from: path)
        } throws: { error in
            "\(error)" == "\(path): parameter 'weight': not in the file"
        }
        #expect {
            try linear.loadParameters(from: directory + "/missing.safetensors")
        } throws: { error in
            "\(error)".hasPrefix(directory + "/missing.safetensors: cannot be read")
        }
    }
}
