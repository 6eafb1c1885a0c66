import Foundation
import Testing
@testable import FunnelLanguage

/// Every truncation or inconsistency of a GGUF file is refused with a ``LanguageFileError``
/// naming the field and the byte offset where it starts.
@Suite struct GGUFFileRefusalTests {
    static let (bytes, layout) = GGUFFileTests.model.encoded()

    static func refusal(_ bytes: [UInt8]) -> LanguageFileError? {
        languageFileError { _ = try GGUFFile(data: Data(bytes), path: "model.gguf") }
    }

    static func patched(_ bytes: [UInt8], at offset: Int, _ value: UInt64) -> [UInt8] {
        var bytes = bytes
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + 8), with: $0) }
        return bytes
    }

    @Test func refusesATruncatedFileNamingTheFieldAndOffset() throws {
        let infos = Self.layout.tensorInfoStarts
        let data = Self.layout.tensorDataStarts
        // (cut the file after this many bytes, expected field, expected location)
        let cases: [(Int, String, Int)] = [
            (0, "header.magic", 0),
            (2, "header.magic", 0),
            (6, "header.version", 4),
            (12, "header.tensor_count", 8),
            (20, "header.metadata_kv_count", 16),
            (30, "metadata[#0].key", 24),
            (40, "metadata[#0].key", 24),
            (54, "metadata[general.architecture].type", 52),
            (66, "metadata[general.architecture]", 56),
            (Self.layout.tensorInfoStart - 1, "metadata[test.empty].count", Self.layout.tensorInfoStart - 8),
            (Self.layout.tensorInfoStart + 4, "tensor #0: name", Self.layout.tensorInfoStart),
            (infos[0] + 8 + 3 + 2, "tensor f32: n_dimensions", infos[0] + 8 + 3),
            (infos[0] + 8 + 3 + 4 + 12, "tensor f32: dimensions", infos[0] + 8 + 3 + 4 + 8),
            (infos[1] - 3, "tensor f32: offset", infos[1] - 8),
            (data[5] + 5, "tensor q8_0: data", data[5]),
            (data[6] + 143, "tensor blk.0.attn_q.weight: data", data[6]),
        ]
        for (length, field, location) in cases {
            let error = Self.refusal(Array(Self.bytes.prefix(length)))
            #expect(error?.field == field, "cut at \(length): \(String(describing: error))")
            #expect(error?.location == .byte(location), "cut at \(length): \(String(describing: error))")
            #expect(error?.file == "model.gguf")
        }
        #expect(Self.refusal(Self.bytes) == nil)
    }

    @Test func refusesABadMagicAndUnsupportedVersions() {
        var magic = Self.bytes
        magic.replaceSubrange(0..<4, with: Array("GGML".utf8))
        let badMagic = Self.refusal(magic)
        #expect(badMagic?.field == "header.magic" && badMagic?.location == .byte(0))
        #expect(badMagic?.reason == "bytes 47 47 4D 4C; expected 47 47 55 46 (\"GGUF\")")
        for version: UInt8 in [1, 4] {
            var bytes = Self.bytes
            bytes[4] = version
            let error = Self.refusal(bytes)
            #expect(error?.field == "header.version" && error?.location == .byte(4))
            #expect(error?.reason == "version \(version); expected 2 or 3")
        }
    }

    @Test func refusesAStringLongerThanTheFile() {
        let error = Self.refusal(Self.patched(Self.bytes, at: 24, 1 << 40))
        #expect(error?.field == "metadata[#0].key" && error?.location == .byte(24))
        #expect(error?.reason.contains("a string of 1099511627776 bytes runs past the end of the file") == true)
        let array = Self.refusal(Self.patched(Self.bytes, at: Self.layout.tensorInfoStart - 8, 1 << 60))
        #expect(array?.field == "metadata[test.empty].count")
    }

    @Test func refusesAnUnknownValueTypeAndABadAlignment() throws {
        var bytes = Self.bytes
        bytes[52] = 13
        let type = Self.refusal(bytes)
        #expect(type?.field == "metadata[general.architecture].type" && type?.location == .byte(52))
        var model = GGUFFileTests.model
        model.metadata.append(("general.alignment", .uint32(12)))
        let alignment = Self.refusal(model.encoded().bytes)
        #expect(alignment?.field == "metadata[general.alignment]")
        #expect(alignment?.reason == "uint32 12; expected a uint32 positive multiple of 8")
    }

    @Test func refusesAnUnalignedOffset() {
        // The f16 tensor's offset is the last 8 bytes of its info, before the next info.
        let error = Self.refusal(Self.patched(Self.bytes, at: Self.layout.tensorInfoStarts[2] - 8, 33))
        #expect(error?.field == "tensor f16: offset")
        #expect(error?.location == .byte(Self.layout.tensorInfoStarts[2] - 8))
        #expect(error?.reason == "offset 33 is not a multiple of the alignment 32")
    }

    @Test func refusesDimensionsWhoseProductOverflowsOrThatSplitABlock() {
        var model = GGUFFileTests.model
        model.tensors = [.init(name: "big", dimensions: [1 << 32, 1 << 32], type: 0, bytes: [])]
        let overflow = Self.refusal(model.encoded().bytes)
        #expect(overflow?.field == "tensor big: dimensions")
        #expect(overflow?.reason == "the product of [4294967296, 4294967296] overflows a 64-bit count")
        model.tensors = [.init(name: "odd", dimensions: [48, 2], type: 3, bytes: [UInt8](repeating: 0, count: 60))]
        let split = Self.refusal(model.encoded().bytes)
        #expect(split?.field == "tensor odd: dimensions")
        #expect(split?.reason == "ne[0] = 48 is not a multiple of the Q4_1 block length 32")
        model.tensors = [.init(name: "deep", dimensions: [1, 1, 1, 1, 1], type: 0, bytes: [0, 0, 0, 0])]
        #expect(Self.refusal(model.encoded().bytes)?.field == "tensor deep: n_dimensions")
    }

    @Test func refusesAFileThatCannotBeRead() {
        let error = languageFileError { _ = try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(error?.file == "/nonexistent/model.gguf" && error?.field == "file")
    }
}
