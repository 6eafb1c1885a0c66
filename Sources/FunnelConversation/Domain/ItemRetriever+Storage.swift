import Foundation

/// Saving the item embeddings so that a run embeds its catalogue once.
///
/// The file: the 6 bytes `FNEMB1`, the item count and the dimension as little-endian `UInt64`,
/// then `count × dimension` little-endian float32 values, row by row.
extension ItemRetriever {
    static let magic = Array("FNEMB1".utf8)
    static let headerSize = 6 + 8 + 8

    /// Writes the embeddings to a temporary file beside `path`, then renames it over `path`.
    /// - Throws: ``ConversationError`` naming the path when it cannot be written.
    public func saveEmbeddings(to path: String) throws {
        var data = Data(capacity: Self.headerSize + embeddings.count * 4)
        data.append(contentsOf: Self.magic)
        for value in [UInt64(items.count), UInt64(dimension)] {
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
        }
        for value in embeddings {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        try AtomicFile.write(data, to: path)
    }

    /// A retriever over `items` with the embeddings saved by ``saveEmbeddings(to:)``, bit for bit.
    /// - Throws: ``ConversationError`` naming the path when the file cannot be read, does not
    ///   start with `FNEMB1`, holds another count of items or another dimension than
    ///   `items.count` and `embedder.dimension`, or is shorter or longer than its header says.
    public static func loadEmbeddings(
        from path: String, items: [CatalogueItem], embedder: any TextEmbedder
    ) throws -> ItemRetriever {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConversationError.file(path, "cannot be read")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= headerSize else {
            throw ConversationError.file(
                path,
                "is truncated: \(bytes.count) bytes, shorter than the \(headerSize)-byte header")
        }
        guard Array(bytes[0..<6]) == magic else {
            throw ConversationError.file(
                path, field: "magic", "expected FNEMB1: not an embeddings file")
        }
        let count = integer(bytes, at: 6), dimension = integer(bytes, at: 14)
        guard count == UInt64(items.count) else {
            throw ConversationError.file(
                path, field: "count", "holds \(count) items; the catalogue has \(items.count)")
        }
        guard dimension == UInt64(embedder.dimension) else {
            throw ConversationError.file(
                path, field: "dimension",
                "holds embeddings of dimension \(dimension); the embedder's is \(embedder.dimension)"
            )
        }
        let valueCount = items.count * embedder.dimension
        let expectedSize = headerSize + valueCount * 4
        guard bytes.count == expectedSize else {
            let problem = bytes.count < expectedSize ? "is truncated" : "has trailing bytes"
            throw ConversationError.file(
                path, "\(problem): \(bytes.count) bytes; expected \(expectedSize)")
        }
        var embeddings = [Float](repeating: 0, count: valueCount)
        for index in 0..<valueCount {
            let start = headerSize + index * 4
            var pattern: UInt32 = 0
            for offset in 0..<4 { pattern |= UInt32(bytes[start + offset]) << (8 * offset) }
            embeddings[index] = Float(bitPattern: pattern)
        }
        return try ItemRetriever(items: items, embeddings: embeddings, embedder: embedder)
    }

    private static func integer(_ bytes: [UInt8], at start: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << (8 * $1) }
    }
}
