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

    /// Writes `schema.json` and the binary cache into `directory` (each through a temporary
    /// file and a rename), so that ``load(_:cache:rebuilt:)`` reads it back.
    public func write(to directory: String) throws {
        try schema.write(directory: directory)
        try DatasetCache.write(self, to: Dataset.cachePath(directory), sourceDirectory: directory)
    }
}
