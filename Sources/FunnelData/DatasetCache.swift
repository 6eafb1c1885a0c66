import Foundation

/// The compiled binary form of a dataset folder: one file, `dataset.funnelcache`.
///
/// Layout: a 64-byte header (magic `FNLCACHE`, format version, the manifest's offset, length
/// and checksum), then every column as a 64-byte-aligned block, then a JSON manifest that
/// describes the tables, the vocabularies, the load reports, the fingerprint of every source
/// file, and each block's offset, length and checksum. Reading maps the file and checks it
/// whole: a cache of another version, of another schema, of changed sources, truncated or with a
/// damaged block is refused with the reason (``Dataset/load(_:cache:rebuilt:)`` then rebuilds
/// it). Written to a temporary name and renamed, so a crash never leaves half a cache.
enum DatasetCache {
    static let magic = Array("FNLCACHE".utf8)
    static let version: UInt32 = 1
    static let headerSize = 64
    static let alignment = 64

    // MARK: Writing

    static func write(_ dataset: Dataset, to path: String, sourceDirectory: String? = nil) throws {
        var manifest = CacheManifest(
            schema: dataset.schema, sources: try sourceFingerprints(sourceDirectory ?? dataset.directory, dataset.schema),
            reports: dataset.reports)
        try AtomicFile.write(to: path) { handle in
            handle.write(Data(count: headerSize))
            var offset = headerSize
            func block(_ bytes: UnsafeRawBufferPointer) -> Int {
                let padding = (alignment - offset % alignment) % alignment
                if padding > 0 { handle.write(Data(count: padding)) }
                offset += padding
                if bytes.count > 0 {
                    // No copy: the bytes are only read while the call runs.
                    let view = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count, deallocator: .none)
                    handle.write(view)
                }
                manifest.blocks.append(.init(offset: offset, length: bytes.count, checksum: Checksum.of(bytes)))
                offset += bytes.count
                return manifest.blocks.count - 1
            }
            func tableEntry(_ table: Table, side: Bool) -> CacheManifest.TableEntry {
                let columns = table.columns.map { column -> CacheManifest.ColumnEntry in
                    var entry = CacheManifest.ColumnEntry(name: column.schema.name)
                    switch column.values {
                    case .ids(let values): entry.values = block(values.rawBytes)
                    case .floats(let values): entry.values = block(values.rawBytes)
                    case .integers(let values): entry.values = block(values.rawBytes)
                    case .lists(let ids, let offsets):
                        entry.values = block(ids.rawBytes)
                        entry.offsets = block(offsets.rawBytes)
                        entry.listLength = ids.count
                    case .timestampLists(let values, let offsets):
                        entry.values = block(values.rawBytes)
                        entry.offsets = block(offsets.rawBytes)
                        entry.listLength = values.count
                    }
                    entry.keys = column.keys.map { block($0.rawBytes) }
                    return entry
                }
                // Sorted, so that the same dataset gives the same bytes (dictionary order is random).
                var joins: [String: Int] = [:]
                for (name, rows) in table.joins.sorted(by: { $0.key < $1.key }) { joins[name] = block(rows.rawBytes) }
                return .init(name: table.name, side: side, rowCount: table.rowCount, columns: columns, joins: joins)
            }
            for table in dataset.sideTables.values.sorted(by: { $0.name < $1.name }) {
                manifest.tables.append(tableEntry(table, side: true))
            }
            for table in dataset.splits.values.sorted(by: { $0.name < $1.name }) {
                manifest.tables.append(tableEntry(table, side: false))
            }
            for vocabulary in dataset.vocabularies.values.sorted(by: { $0.column < $1.column }) {
                let keys = vocabulary.keys.withUnsafeBytes { block($0) }
                manifest.vocabularies.append(
                    .init(column: vocabulary.column, kind: vocabulary.kind, size: vocabulary.size,
                          keys: keys, keyCount: vocabulary.keys.count))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let manifestOffset = offset
            var manifestData = try encoder.encode(manifest)
            manifest.fileSize = manifestOffset + manifestData.count
            // The file size is part of the manifest; its digits may change the length once.
            for _ in 0..<2 {
                manifestData = try encoder.encode(manifest)
                manifest.fileSize = manifestOffset + manifestData.count
            }
            handle.write(manifestData)
            var header = Data(magic)
            header.append(contentsOf: withUnsafeBytes(of: version.littleEndian, Array.init))
            header.append(contentsOf: withUnsafeBytes(of: UInt32(0), Array.init))
            header.append(contentsOf: withUnsafeBytes(of: UInt64(manifestOffset).littleEndian, Array.init))
            header.append(contentsOf: withUnsafeBytes(of: UInt64(manifestData.count).littleEndian, Array.init))
            let manifestChecksum = manifestData.withUnsafeBytes { Checksum.of($0) }
            header.append(contentsOf: withUnsafeBytes(of: manifestChecksum.littleEndian, Array.init))
            try handle.seek(toOffset: 0)
            handle.write(header)
        }
    }

    /// Size and modification time of the schema and every table file (none for binary storage).
    static func sourceFingerprints(_ directory: String, _ schema: DatasetSchema) throws -> [CacheManifest.Source] {
        // A binary dataset's cache is its data: the manifest's copy of the schema is checked
        // instead, and leaving out modification times keeps the same simulation byte-identical.
        if schema.storage == .binary { return [] }
        let files = ["schema.json"] + schema.tables.values.map(\.file) + schema.sideTables.map(\.table.file)
        return try Set(files).sorted().map { file in
            let mapped = try MappedFile(path: directory + "/" + file)
            return .init(file: file, size: mapped.bytes.count, modificationTime: mapped.modificationTime)
        }
    }
}
