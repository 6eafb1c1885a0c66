import Foundation
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

@Suite struct SafetensorsFileTests {
    /// A safetensors file written by hand: the 8-byte header length, the JSON header (padded
    /// with spaces, as writers do, to a multiple of 8), then the data.
    static func encoded(header: String, data: [UInt8]) -> [UInt8] {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        SyntheticGGUF.append(UInt64(json.count), to: &bytes)
        return bytes + json + data
    }

    static let f32Bytes = [Float(1.5), -2, 0x1p-20, 1000, 0, 7].flatMap { GGUFFileTests.float32Bytes($0) }
    static let f16Bytes = [0x3C00, 0xC000, 0x0001, 0x7BFF].flatMap(SyntheticBlocks.half)
    static let bf16Bytes = [0x3F80, 0xC040].flatMap(SyntheticBlocks.half)
    static let data = f32Bytes + f16Bytes + bf16Bytes + [UInt8](repeating: 1, count: 8)

    static let header = """
        {"__metadata__": {"format": "pt"}, \
        "b": {"dtype": "F16", "shape": [2, 2], "data_offsets": [24, 32]}, \
        "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, \
        "c": {"dtype": "BF16", "shape": [2], "data_offsets": [32, 36]}, \
        "d": {"dtype": "I64", "shape": [1], "data_offsets": [36, 44]}}
        """

    static func open(_ bytes: [UInt8]) throws -> SafetensorsFile {
        try SafetensorsFile(path: writeTemporaryFile(bytes, name: "model.safetensors"))
    }

    static func refusal(_ bytes: [UInt8]) -> LanguageFileError? {
        languageFileError { _ = try SafetensorsFile(data: Data(bytes), path: "model.safetensors") }
    }

    @Test func readsF32F16AndBF16Exactly() throws {
        let file = try Self.open(Self.encoded(header: Self.header, data: Self.data))
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensors.map(\.name) == ["a", "b", "c", "d"])
        let a = try file.tensor(named: "a")
        #expect(a.shape == [2, 3] && a.dtype == "F32" && a.dataOffsets == 0..<24 && a.fileRange.lowerBound == file.dataStart)
        #expect(try file.floats(a) == [1.5, -2, 0x1p-20, 1000, 0, 7])
        #expect(try file.floats(file.tensor(named: "b")) == [1, -2, 0x1p-24, 65504])
        #expect(try file.floats(file.tensor(named: "c")) == [1, -3])
    }

    @Test func refusesAnUnsupportedDtypeByName() throws {
        let file = try Self.open(Self.encoded(header: Self.header, data: Self.data))
        let error = languageFileError { _ = try file.floats(file.tensor(named: "d")) }
        #expect(error?.field == "tensor d: dtype")
        #expect(error?.reason == "dtype I64; expected F32, F16 or BF16")
        let unknown = Self.refusal(Self.encoded(header: #"{"x": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 1]}}"#, data: [0]))
        #expect(unknown?.field == "tensor x: dtype")
        #expect(unknown?.reason.hasPrefix("dtype Q4; expected one of BF16, BOOL") == true)
    }

    @Test func refusesOffsetsPastTheEndOverlapsAndSizeMismatches() {
        let past = Self.refusal(Self.encoded(header: #"{"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: [UInt8](repeating: 0, count: 12)))
        #expect(past?.field == "tensor x: data_offsets")
        #expect(past?.reason == "bytes 0..<16 run past the end of the data (12 bytes)")
        let overlap = Self.refusal(Self.encoded(
            header: #"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#,
            data: [UInt8](repeating: 0, count: 12)))
        #expect(overlap?.field == "tensor y: data_offsets")
        let mismatch = Self.refusal(Self.encoded(header: #"{"x": {"dtype": "F16", "shape": [3], "data_offsets": [0, 8]}}"#, data: [UInt8](repeating: 0, count: 8)))
        #expect(mismatch?.reason == "8 bytes; shape [3] of F16 needs 6")
        let reversed = Self.refusal(Self.encoded(header: #"{"x": {"dtype": "F16", "shape": [0], "data_offsets": [4, 0]}}"#, data: []))
        #expect(reversed?.field == "tensor x: data_offsets")
    }

    @Test func refusesATruncatedOrMalformedHeader() {
        let short = Self.refusal([1, 0, 0])
        #expect(short?.field == "header.length" && short?.location == .byte(0))
        var long = Self.encoded(header: Self.header, data: Self.data)
        long.replaceSubrange(0..<8, with: [0, 0, 0, 0, 1, 0, 0, 0])
        let tooLong = Self.refusal(long)
        #expect(tooLong?.field == "header.length")
        #expect(tooLong?.reason.hasPrefix("a header of 4294967296 bytes is longer than") == true)
        let notJSON = Self.refusal(Self.encoded(header: "{not json", data: []))
        #expect(notJSON?.field == "header" && notJSON?.location == .byte(8))
        let badShape = Self.refusal(Self.encoded(header: #"{"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}"#, data: []))
        #expect(badShape?.field == "tensor x: shape")
    }

    @Test(.needsLanguageModels) func readsTheRealMiniLMWeights() throws {
        let reference = try LanguageModelReference.load().safetensors
        let file = try SafetensorsFile(path: LanguageModels.miniLMSafetensors)
        #expect(file.tensors.count == reference.tensorCount)
        for (name, expected) in reference.tensors {
            let info = try file.tensor(named: name)
            #expect(info.shape == expected.shape && info.dtype == expected.dtype)
            expectMatches(try file.floats(info), rowLength: info.shape.last ?? 1, expected, tolerance: 0)
        }
        #expect(try file.tensor(named: "embeddings.word_embeddings.weight").shape == [30522, 384])
    }
}
