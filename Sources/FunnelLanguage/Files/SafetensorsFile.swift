import Foundation

/// A safetensors file (huggingface/safetensors, README "Format"), memory-mapped and checked:
///
///     8 bytes    N: the header length, a little-endian uint64
///     N bytes    a UTF-8 JSON object: tensor name → {"dtype", "shape", "data_offsets"},
///                and optionally "__metadata__": a string → string object
///     rest       the tensor data; `data_offsets` are [begin, end) relative to byte 8 + N
///
/// Refused, with a ``LanguageFileError`` naming the file, the field and the byte offset: a
/// file shorter than 8 bytes, a header longer than the file, a header that is not such a JSON
/// object, an unknown dtype, a shape whose product overflows or disagrees with its byte
/// range, offsets past the end of the file, and overlapping tensors. ``floats(_:)`` converts
/// F32, F16 and BF16 and refuses other dtypes by name.
public struct SafetensorsFile: Sendable {
    /// The path as given.
    public let path: String
    /// `__metadata__`, or empty.
    public let metadata: [String: String]
    /// The tensors, in the order of their data.
    public let tensors: [SafetensorsTensorInfo]
    /// The file offset of the data: 8 + the header length.
    public let dataStart: Int
    /// The file's bytes (memory-mapped where the platform allows).
    public let data: Data

    private let tensorIndices: [String: Int]

    /// Opens and checks the safetensors file at `path`, mapping it into memory.
    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw LanguageFileError(file: path, field: "file", reason: "cannot be read: \(error.localizedDescription)")
        }
        try self.init(data: data, path: path)
    }

    /// Parses safetensors bytes already in memory; `path` names them in refusals.
    public init(data: Data, path: String) throws {
        self.path = path
        self.data = data
        let refuse = { (field: String, offset: Int, reason: String) in
            LanguageFileError(file: path, field: field, location: .byte(offset), reason: reason)
        }
        guard data.count >= 8 else {
            throw refuse("header.length", 0, "the file ends after \(data.count) of the 8 bytes of the header length")
        }
        let rawLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard let headerLength = Int(exactly: rawLength), headerLength <= data.count - 8 else {
            throw refuse("header.length", 0, "a header of \(rawLength) bytes is longer than the \(data.count - 8) bytes after the length")
        }
        let start = 8 + headerLength
        dataStart = start
        let headerBytes = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + start))
        guard let json = try? JSONSerialization.jsonObject(with: headerBytes), let header = json as? [String: Any] else {
            throw refuse("header", 8, "\(headerLength) bytes that are not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let rawMetadata = header["__metadata__"] {
            guard let strings = rawMetadata as? [String: String] else {
                throw refuse("header.__metadata__", 8, "not an object of strings")
            }
            metadata = strings
        }
        self.metadata = metadata
        let dataLength = data.count - start
        var entries = try header.keys.filter { $0 != "__metadata__" }.map { name in
            try Self.tensorInfo(name: name, entry: header[name], dataStart: start, dataLength: dataLength, refuse: refuse)
        }
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        for (previous, next) in zip(entries, entries.dropFirst()) where next.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
            throw refuse(
                "tensor \(next.name): data_offsets", next.fileRange.lowerBound,
                "bytes \(next.dataOffsets) overlap \(previous.name)'s bytes \(previous.dataOffsets)")
        }
        tensors = entries
        tensorIndices = Dictionary(entries.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    private static func tensorInfo(
        name: String, entry: Any?, dataStart: Int, dataLength: Int, refuse: (String, Int, String) -> LanguageFileError
    ) throws -> SafetensorsTensorInfo {
        let field = { (attribute: String) in "tensor \(name): \(attribute)" }
        guard let entry = entry as? [String: Any] else { throw refuse(field("header"), 8, "not an object") }
        guard let dtype = entry["dtype"] as? String else { throw refuse(field("dtype"), 8, "missing or not a string") }
        guard let elementBytes = SafetensorsTensorInfo.elementByteCounts[dtype] else {
            let known = SafetensorsTensorInfo.elementByteCounts.keys.sorted().joined(separator: ", ")
            throw refuse(field("dtype"), 8, "dtype \(dtype); expected one of \(known)")
        }
        guard let shape = entry["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
            throw refuse(field("shape"), 8, "missing or not an array of non-negative integers")
        }
        guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw refuse(field("data_offsets"), 8, "missing or not [begin, end] with 0 ≤ begin ≤ end")
        }
        guard offsets[1] <= dataLength else {
            throw refuse(
                field("data_offsets"), dataStart + offsets[0],
                "bytes \(offsets[0])..<\(offsets[1]) run past the end of the data (\(dataLength) bytes)")
        }
        var byteCount = elementBytes
        for dimension in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw refuse(field("shape"), 8, "the byte size of shape \(shape) overflows") }
            byteCount = product
        }
        guard byteCount == offsets[1] - offsets[0] else {
            throw refuse(
                field("data_offsets"), dataStart + offsets[0],
                "\(offsets[1] - offsets[0]) bytes; shape \(shape) of \(dtype) needs \(byteCount)")
        }
        return SafetensorsTensorInfo(
            name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1],
            fileRange: (dataStart + offsets[0])..<(dataStart + offsets[1]))
    }

    /// The tensor named `name`, or a refusal naming it.
    public func tensor(named name: String) throws -> SafetensorsTensorInfo {
        guard let index = tensorIndices[name] else {
            throw LanguageFileError(file: path, field: "tensor \(name)", reason: "missing; the file has \(tensors.count) tensors")
        }
        return tensors[index]
    }

    /// The tensor's values as `Float`, row-major (last axis contiguous). F16 and BF16 widen
    /// exactly; other dtypes are refused by name.
    public func floats(_ info: SafetensorsTensorInfo) throws -> [Float] {
        // F32, F16 and BF16 are stored as ggml stores them, so ggml's conversion serves both.
        let type: GGMLType
        switch info.dtype {
        case "F32": type = .f32
        case "F16": type = .f16
        case "BF16": type = .bf16
        default:
            throw LanguageFileError(
                file: path, field: "tensor \(info.name): dtype", location: .byte(8),
                reason: "dtype \(info.dtype); expected F32, F16 or BF16")
        }
        guard info.fileRange.lowerBound >= dataStart, info.fileRange.upperBound <= data.count,
              type.byteCount(elementCount: info.elementCount) == info.fileRange.count
        else {
            throw LanguageFileError(
                file: path, field: "tensor \(info.name): data_offsets", location: .byte(info.fileRange.lowerBound),
                reason: "bytes \(info.fileRange) do not hold \(info.shape) of \(info.dtype) inside this file")
        }
        let count = info.elementCount
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            data.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress, let destination = buffer.baseAddress, count > 0 {
                    GGMLQuantisation.dequantise(type, from: source + info.fileRange.lowerBound, count: count, into: destination)
                }
            }
            initialised = count
        }
    }
}
