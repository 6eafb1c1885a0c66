import Foundation

extension Dataset {
    /// A dataset built in memory (by the simulator): tables whose categorical columns use
    /// identity vocabularies, joined to their side tables here.
    /// - Parameters:
    ///   - schema: its `storage` should be `.binary`; every categorical or id-list column must
    ///     have an identity vocabulary (or share one through `vocabularyOf`).
    ///   - splits: the tables by split name, columns in schema order.
    ///   - sideTables: the side tables by name.
    public static func inMemory(
        directory: String, schema: DatasetSchema, splits: [String: Table], sideTables: [String: Table] = [:]
    ) throws -> Dataset {
        var vocabularies: [String: VocabularyTable] = [:]
        for column in schema.columns + schema.sideTables.flatMap(\.columns) {
            guard let vocabulary = column.vocabulary else { continue }
            guard case .identity = vocabulary else {
                throw DataError.invalidSchema(
                    path: directory + "/schema.json",
                    reason: "column '\(column.name)': a dataset built in memory needs identity vocabularies")
            }
            vocabularies[column.name] = VocabularyTable(column: column.name, kind: vocabulary, trainingKeys: [])
        }
        var joined: [String: Table] = [:]
        for (name, table) in splits {
            var report = LoadReport(file: name)
            let joins = try SideTableJoin.joins(of: table, with: sideTables, schema: schema, report: &report)
            joined[name] = table.joining(joins)
        }
        return Dataset(
            directory: directory, schema: schema, splits: joined, sideTables: sideTables,
            vocabularies: vocabularies, reports: [], loadedFromCache: false)
    }

    /// Writes the binary cache and then `schema.json` into `directory` (each through a
    /// temporary file and a rename), so that ``load(_:cache:rebuilt:)`` reads it back. When the
    /// schema cannot be written, the cache just written is removed: no half a dataset is left.
    public func write(to directory: String) throws {
        let cache = Dataset.cachePath(directory)
        try DatasetCache.write(self, to: cache, sourceDirectory: directory)
        do {
            try schema.write(directory: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: cache)
            throw error
        }
    }
}
