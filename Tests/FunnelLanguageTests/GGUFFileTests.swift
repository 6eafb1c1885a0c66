import Foundation
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

@Suite struct GGUFFileTests {
    static let scalars: [(key: String, value: GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("llama.block_count", .uint32(2)),
        ("test.uint8", .uint8(200)),
        ("test.int8", .int8(-100)),
        ("test.uint16", .uint16(60000)),
        ("test.int16", .int16(-30000)),
        ("test.uint32", .uint32(4_000_000_000)),
        ("test.int32", .int32(-2_000_000_000)),
        ("test.uint64", .uint64(1 << 40)),
        ("test.int64", .int64(-(1 << 40))),
        ("test.float32", .float32(0.15625)),
        ("test.float64", .float64(1e-300)),
        ("test.bool", .bool(true)),
        ("test.string", .string("héllo ✓")),
    ]

    static let arrays: [(key: String, value: GGUFValue)] = [
        ("test.uint32_array", .array(elementType: .uint32, values: [.uint32(1), .uint32(2), .uint32(3)])),
        ("tokenizer.ggml.tokens", .array(elementType: .string, values: [.string("a"), .string("bc"), .string("")])),
        ("tokenizer.ggml.token_type", .array(elementType: .int32, values: [.int32(1), .int32(-3)])),
        ("tokenizer.ggml.scores", .array(elementType: .float32, values: [.float32(0.5), .float32(-1.5)])),
        ("test.nested", .array(elementType: .array, values: [
            .array(elementType: .int8, values: [.int8(1), .int8(2)]), .array(elementType: .int8, values: [.int8(3)]),
        ])),
        ("test.empty", .array(elementType: .float64, values: [])),
    ]

    /// The tensors of every supported type, a Q4_K one, and their values.
    static let tensors: [SyntheticGGUF.Tensor] = [
        .init(name: "f32", dimensions: [4, 2], type: 0, bytes: [1, -2, 0.5, 3.25, 0, -0.0, 1e-3, 100].flatMap { float32Bytes($0) }),
        .init(name: "f16", dimensions: [6], type: 1, bytes: [0x3C00, 0xC000, 0x3800, 0x0001, 0x7BFF, 0x8000].flatMap(SyntheticBlocks.half)),
        .init(name: "bf16", dimensions: [3], type: 30, bytes: [0x3F80, 0xC040, 0x3E20].flatMap(SyntheticBlocks.half)),
        .init(name: "q4_0", dimensions: [32], type: 2, bytes: SyntheticBlocks.q4_0),
        .init(name: "q4_1", dimensions: [32, 2], type: 3, bytes: SyntheticBlocks.q4_1 + SyntheticBlocks.q4_1Second),
        .init(name: "q8_0", dimensions: [64], type: 8, bytes: SyntheticBlocks.q8_0 + SyntheticBlocks.q8_0Second),
        .init(name: "blk.0.attn_q.weight", dimensions: [256], type: 12, bytes: [UInt8](repeating: 0, count: 144)),
    ]

    static let expectedValues: [String: [Float]] = [
        "f32": [1, -2, 0.5, 3.25, 0, -0.0, 1e-3, 100],
        "f16": [1, -2, 0.5, 0x1p-24, 65504, -0.0],
        "bf16": [1, -3, 0.15625],
        "q4_0": SyntheticBlocks.q4_0Values,
        "q4_1": SyntheticBlocks.q4_1Values + SyntheticBlocks.q4_1SecondValues,
        "q8_0": SyntheticBlocks.q8_0Values + SyntheticBlocks.q8_0SecondValues,
    ]

    static func float32Bytes(_ value: Float) -> [UInt8] { withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }

    static var model: SyntheticGGUF { SyntheticGGUF(metadata: scalars + arrays, tensors: tensors) }

    static func write(_ file: SyntheticGGUF) throws -> String { try writeTemporaryFile(file.encoded().bytes, name: "model.gguf") }

    @Test func readsEveryMetadataTypeExactlyAndInOrder() throws {
        let file = try GGUFFile(path: Self.write(Self.model))
        #expect(file.version == 3)
        #expect(file.metadataKeys == (Self.scalars + Self.arrays).map(\.key))
        for (key, value) in Self.scalars + Self.arrays {
            #expect(file.metadata[key] == value, "\(key)")
        }
        #expect(file.alignment == 32)
        #expect(file.dataStart % 32 == 0)
    }

    @Test func typedAccessorsReadEachType() throws {
        let file = try GGUFFile(path: Self.write(Self.model))
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("llama.block_count") == 2)
        #expect(try file.int("test.int64") == -(1 << 40))
        #expect(try file.float("test.float32") == 0.15625)
        #expect(try file.bool("test.bool"))
        #expect(try file.stringArray("tokenizer.ggml.tokens") == ["a", "bc", ""])
        #expect(try file.int32Array("tokenizer.ggml.token_type") == [1, -3])
        #expect(try file.floatArray("tokenizer.ggml.scores") == [0.5, -1.5])
        #expect(try file.floatArray("test.empty") == [])
        #expect(file.metadata["test.nested"]?.typeDescription == "array of array of int8")
    }

    @Test func typedAccessorsRefuseAMissingOrWrongTypedKeyByName() throws {
        let file = try GGUFFile(path: Self.write(Self.model))
        let missing = languageFileError { _ = try file.int("llama.context_length") }
        #expect(missing?.field == "metadata[llama.context_length]")
        #expect(missing?.reason.hasPrefix("missing") == true)
        let wrongType = languageFileError { _ = try file.int("general.architecture") }
        #expect(wrongType?.field == "metadata[general.architecture]")
        #expect(wrongType?.location == .byte(Self.model.encoded().layout.metadataStart))
        #expect(wrongType?.reason == "string \"llama\"; expected an integer")
        let wrongArray = languageFileError { _ = try file.stringArray("tokenizer.ggml.scores") }
        #expect(wrongArray?.reason == "array of float32; expected an array of string")
    }

    @Test func readsTensorInfosInGGMLOrder() throws {
        let (bytes, layout) = Self.model.encoded()
        let file = try GGUFFile(path: writeTemporaryFile(bytes, name: "model.gguf"))
        #expect(file.tensors.map(\.name) == Self.tensors.map(\.name))
        let q4_1 = try file.tensor(named: "q4_1")
        #expect(q4_1.dimensions == [32, 2])
        #expect(q4_1.type == .q4_1 && q4_1.type.description == "Q4_1 (3)")
        #expect((q4_1.rowLength, q4_1.rowCount, q4_1.elementCount, q4_1.byteCount) == (32, 2, 64, 40))
        #expect(file.dataStart == layout.dataStart)
        #expect(file.tensors.map(\.fileOffset) == layout.tensorDataStarts)
        #expect(file.tensors.allSatisfy { $0.offset % 32 == 0 })
        #expect(languageFileError { _ = try file.tensor(named: "output.weight") }?.field == "tensor output.weight")
    }

    @Test func dequantisesEachSupportedTypeExactly() throws {
        let file = try GGUFFile(path: Self.write(Self.model))
        for (name, expected) in Self.expectedValues {
            let values = try file.floats(file.tensor(named: name))
            #expect(values.map(\.bitPattern) == expected.map(\.bitPattern), "\(name): \(values)")
        }
    }

    @Test func readsVersion2AndAWiderAlignment() throws {
        var model = Self.model
        model.version = 2
        model.alignment = 64
        model.metadata.append(("general.alignment", .uint32(64)))
        let (bytes, layout) = model.encoded()
        let file = try GGUFFile(path: writeTemporaryFile(bytes, name: "model.gguf"))
        #expect(file.version == 2 && file.alignment == 64)
        #expect(file.dataStart == layout.dataStart && file.dataStart % 64 == 0)
        #expect(try file.floats(file.tensor(named: "q8_0")) == Self.expectedValues["q8_0"])
    }

    @Test func refusesQ4KByName() throws {
        let file = try GGUFFile(path: Self.write(Self.model))
        let info = try file.tensor(named: "blk.0.attn_q.weight")
        let error = languageFileError { _ = try file.floats(info) }
        #expect(error?.field == "tensor blk.0.attn_q.weight: type")
        #expect(error?.reason == "type Q4_K (12); expected F32, F16, BF16, Q4_0, Q4_1 or Q8_0")
        #expect(error?.location == .byte(info.infoOffset))
    }
}
