import Foundation

extension DatasetCache {
    /// Maps a cache and checks it against the current schema and sources; every failure is a
    /// ``DataError/invalidCache(path:reason:)`` saying why.
    static func read(path: String, directory: String, schema: DatasetSchema) throws -> Dataset {
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            throw DataError.invalidCache(path: path, reason: "it does not exist; run `funnel data compile \(directory)`")
        }
        let bytes = file.bytes
        func invalid(_ reason: String) -> DataError { .invalidCache(path: path, reason: reason) }
        guard bytes.count >= headerSize else {
            throw invalid("truncated: \(bytes.count) bytes, shorter than the \(headerSize)-byte header")
        }
        guard Array(bytes[0..<8]) == magic else { throw invalid("not a Funnel cache (bad magic bytes)") }
        let fileVersion = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        guard fileVersion == version else {
            throw invalid("format version \(fileVersion), this Funnel reads version \(version)")
        }
        let manifestOffset = Int(bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let manifestLength = Int(bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let manifestChecksum = bytes.loadUnaligned(fromByteOffset: 32, as: UInt64.self)
        guard manifestOffset >= headerSize, manifestLength > 0, manifestOffset + manifestLength <= bytes.count else {
            throw invalid("truncated: \(bytes.count) bytes, the manifest ends at byte \(manifestOffset + manifestLength)")
        }
        let manifestBytes = UnsafeRawBufferPointer(rebasing: bytes[manifestOffset..<manifestOffset + manifestLength])
        guard Checksum.of(manifestBytes) == manifestChecksum else { throw invalid("the manifest is damaged") }
        let manifest: CacheManifest
        do {
            manifest = try JSONDecoder().decode(CacheManifest.self, from: Data(manifestBytes))
        } catch {
            throw invalid("the manifest cannot be read: \(error)")
        }
        guard manifest.fileSize == bytes.count else {
            throw invalid("\(bytes.count) bytes where \(manifest.fileSize) were written (truncated or extended)")
        }
        guard manifest.schema == schema else { throw invalid("schema.json changed since the cache was compiled") }
        let current = try sourceFingerprints(directory, schema)
        for source in current where !manifest.sources.contains(source) {
            throw invalid("\(source.file) changed since the cache was compiled")
        }
        for (index, block) in manifest.blocks.enumerated() {
            guard block.offset >= headerSize, block.offset % alignment == 0, block.offset + block.length <= manifestOffset
            else { throw invalid("block \(index) lies outside the file") }
            let region = UnsafeRawBufferPointer(rebasing: bytes[block.offset..<block.offset + block.length])
            guard Checksum.of(region) == block.checksum else { throw invalid("block \(index) is damaged") }
        }
        return try assemble(manifest, file: file, directory: directory, invalid: invalid)
    }

    private static func assemble(
        _ manifest: CacheManifest, file: MappedFile, directory: String, invalid: (String) -> DataError
    ) throws -> Dataset {
        func buffer<Element>(_ index: Int, count: Int, of _: Element.Type) throws -> ColumnBuffer<Element> {
            guard manifest.blocks.indices.contains(index),
                manifest.blocks[index].length == count * MemoryLayout<Element>.stride
            else { throw invalid("block \(index) has the wrong length") }
            return ColumnBuffer(mapped: file, offset: manifest.blocks[index].offset, count: count)
        }
        let allColumns = manifest.schema.columns + manifest.schema.sideTables.flatMap(\.columns)
        var splits: [String: Table] = [:]
        var sides: [String: Table] = [:]
        for entry in manifest.tables {
            let rows = entry.rowCount
            let declared = entry.side
                ? manifest.schema.sideTables.first { $0.name == entry.name }?.columns ?? []
                : manifest.schema.columns
            let columns = try entry.columns.map { column -> Column in
                guard let schema = declared.first(where: { $0.name == column.name }) ?? allColumns.first(where: { $0.name == column.name })
                else { throw invalid("column '\(column.name)' is not in the schema") }
                let keys = try column.keys.map { try buffer($0, count: rows, of: Int64.self) }
                switch schema.kind {
                case .categorical:
                    return Column(schema: schema, values: .ids(try buffer(column.values, count: rows, of: Int32.self)), keys: keys)
                case .dense, .label:
                    return Column(schema: schema, values: .floats(try buffer(column.values, count: rows, of: Float.self)))
                case .timestamp:
                    return Column(schema: schema, values: .integers(try buffer(column.values, count: rows, of: Int64.self)))
                case .idList:
                    guard let offsets = column.offsets, let length = column.listLength else {
                        throw invalid("id list '\(column.name)' has no offsets")
                    }
                    return Column(
                        schema: schema,
                        values: .lists(
                            ids: try buffer(column.values, count: length, of: Int32.self),
                            offsets: try buffer(offsets, count: rows + 1, of: Int64.self)))
                case .timestampList:
                    guard let offsets = column.offsets, let length = column.listLength else {
                        throw invalid("timestamp list '\(column.name)' has no offsets")
                    }
                    return Column(
                        schema: schema,
                        values: .timestampLists(
                            values: try buffer(column.values, count: length, of: Int64.self),
                            offsets: try buffer(offsets, count: rows + 1, of: Int64.self)))
                }
            }
            let joins = try entry.joins.mapValues { try buffer($0, count: rows, of: Int32.self) }
            let table = Table(name: entry.name, rowCount: rows, columns: columns, joins: joins)
            if entry.side { sides[entry.name] = table } else { splits[entry.name] = table }
        }
        var vocabularies: [String: VocabularyTable] = [:]
        for entry in manifest.vocabularies {
            let keys = try buffer(entry.keys, count: entry.keyCount, of: Int64.self).array
            vocabularies[entry.column] = VocabularyTable(column: entry.column, kind: entry.kind, size: entry.size, keys: keys)
        }
        return Dataset(
            directory: directory, schema: manifest.schema, splits: splits, sideTables: sides,
            vocabularies: vocabularies, reports: manifest.reports, loadedFromCache: true)
    }
}
