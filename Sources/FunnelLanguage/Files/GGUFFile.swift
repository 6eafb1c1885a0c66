import Foundation

/// A GGUF model file (ggml `docs/gguf.md`, versions 2 and 3), memory-mapped and parsed:
///
///     header    magic "GGUF" (bytes 47 47 55 46), version: uint32,
///               tensor_count: uint64, metadata_kv_count: uint64
///     metadata  metadata_kv_count × (key: string, value_type: uint32, value)
///     tensors   tensor_count × (name: string, n_dimensions: uint32, dimensions: n × uint64,
///               type: uint32 (ggml_type), offset: uint64)
///     padding   to a multiple of `general.alignment` (uint32, default 32)
///     data      each tensor at data start + offset, offsets multiples of the alignment
///
/// All fields are little-endian. Everything is checked when the file is opened — truncation,
/// magic, version, string lengths, UTF-8, array counts, dimension products, offsets,
/// alignment, and that every tensor whose type has a known layout lies inside the file — and
/// refused with a ``LanguageFileError`` naming the file, the field and the byte offset. A
/// tensor whose type cannot be dequantised is refused, by type name, only when read.
public struct GGUFFile: Sendable {
    /// The path as given.
    public let path: String
    /// The format version: 2 or 3.
    public let version: Int
    /// The metadata, by key.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// The tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, or 32 when absent.
    public let alignment: Int
    /// The file offset of the data section.
    public let dataStart: Int
    /// The file's bytes (memory-mapped where the platform allows).
    public let data: Data

    let metadataOffsets: [String: Int]
    private let tensorIndices: [String: Int]

    /// Opens and checks the GGUF file at `path`, mapping it into memory.
    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw LanguageFileError(file: path, field: "file", reason: "cannot be read: \(error.localizedDescription)")
        }
        try self.init(data: data, path: path)
    }

    /// Parses GGUF bytes already in memory; `path` names them in refusals.
    public init(data: Data, path: String) throws {
        self.path = path
        self.data = data
        var parsed: Header?
        try data.withUnsafeBytes { bytes in
            var reader = GGUFByteReader(bytes: bytes, file: path)
            parsed = try Header(reading: &reader)
        }
        guard let parsed else { throw LanguageFileError(file: path, field: "file", reason: "could not be parsed") }
        version = parsed.version
        metadata = parsed.metadata
        metadataKeys = parsed.metadataKeys
        metadataOffsets = parsed.metadataOffsets
        tensors = parsed.tensors
        alignment = parsed.alignment
        dataStart = parsed.dataStart
        tensorIndices = Dictionary(parsed.tensors.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    /// The tensor named `name`, or a refusal naming it.
    public func tensor(named name: String) throws -> GGUFTensorInfo {
        guard let index = tensorIndices[name] else {
            throw LanguageFileError(file: path, field: "tensor \(name)", reason: "missing; the file has \(tensors.count) tensors")
        }
        return tensors[index]
    }

    /// The tensor dequantised to `Float`, `elementCount` values in storage order: row-major
    /// with `dimensions[0]` the contiguous axis (`rowCount` rows of `rowLength` values).
    /// Refuses, by name, a type ``GGMLQuantisation`` cannot dequantise.
    public func floats(_ info: GGUFTensorInfo) throws -> [Float] {
        let count = info.elementCount
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            try dequantiseRows(info, rows: 0..<info.rowCount, into: buffer)
            initialised = count
        }
    }

    /// The fast path for a decoder: dequantises rows `rows` (each `rowLength` values along
    /// `dimensions[0]`) into the first `rows.count · rowLength` floats of `destination`.
    public func dequantiseRows(_ info: GGUFTensorInfo, rows: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard rows.lowerBound >= 0, rows.upperBound <= info.rowCount else {
            throw LanguageFileError(file: path, field: info.field("rows"), reason: "rows \(rows) of a tensor with \(info.rowCount) rows")
        }
        let needed = rows.count * info.rowLength
        if needed == 0 { return }
        guard destination.count >= needed, let base = destination.baseAddress else {
            throw LanguageFileError(file: path, field: info.field("rows"), reason: "a buffer of \(destination.count) floats for \(needed) values")
        }
        try withRawRows(info, rows: rows) { source in
            GGMLQuantisation.dequantise(info.type, from: source, count: needed, into: base)
        }
    }

    /// Calls `body` with the stored (still quantised) bytes of rows `rows` of the tensor: the
    /// way a decoder multiplies by quantised weights without dequantising them whole.
    /// Refuses a type that cannot be dequantised, by name.
    public func withRawRows<Result>(
        _ info: GGUFTensorInfo, rows: Range<Int>, _ body: (UnsafeRawPointer) throws -> Result
    ) throws -> Result {
        guard GGMLQuantisation.canDequantise(info.type), let rowBytes = info.rowByteCount, let totalBytes = info.byteCount else {
            throw LanguageFileError(
                file: path, field: info.field("type"), location: .byte(info.infoOffset),
                reason: "type \(info.type); expected \(GGMLQuantisation.supportedTypeList)")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= info.rowCount,
              info.fileOffset >= dataStart, info.fileOffset <= data.count - totalBytes
        else {
            throw LanguageFileError(
                file: path, field: info.field("data"), location: .byte(info.fileOffset),
                reason: "rows \(rows) of \(info.rowCount), \(totalBytes) bytes, do not lie inside the file's \(data.count) bytes")
        }
        return try data.withUnsafeBytes { bytes in
            guard let start = bytes.baseAddress else {
                throw LanguageFileError(file: path, field: info.field("data"), location: .byte(info.fileOffset), reason: "the file is empty")
            }
            return try body(start + info.fileOffset + rows.lowerBound * rowBytes)
        }
    }
}
