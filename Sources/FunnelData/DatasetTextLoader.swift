/// Parses a dataset folder's text files: reads every table, builds the vocabularies from the
/// vocabulary split, maps raw keys to ids and joins the side tables.
struct DatasetTextLoader {
    let directory: String
    let schema: DatasetSchema

    func load() throws -> Dataset {
        let owners = schema.vocabularyOwners
        var reports: [LoadReport] = []
        var rawSides: [String: RawTable] = [:]
        for side in schema.sideTables {
            let (raw, report) = try TableReader(
                path: directory + "/" + side.table.file, table: side.table, columns: side.columns,
                badRows: schema.badRows, vocabularies: owners
            ).read()
            rawSides[side.name] = raw
            reports.append(report)
        }
        var rawSplits: [String: RawTable] = [:]
        var splitReports: [String: LoadReport] = [:]
        // The vocabulary split first: its errors are the ones to fix first.
        let others = schema.tables.keys.filter { $0 != schema.vocabularySplit }.sorted()
        let order = (schema.tables[schema.vocabularySplit] == nil ? [] : [schema.vocabularySplit]) + others
        for name in order {
            let file = schema.tables[name]!
            let (raw, report) = try TableReader(
                path: directory + "/" + file.file, table: file, columns: schema.columns, badRows: schema.badRows,
                vocabularies: owners
            ).read()
            rawSplits[name] = raw
            splitReports[name] = report
        }

        let vocabularies = buildVocabularies(training: rawSplits[schema.vocabularySplit], sides: Array(rawSides.values))
        let keyedColumns = Set(schema.sideTables.flatMap(\.key))
        func table(_ name: String, _ raw: RawTable, report: inout LoadReport) -> Table {
            let columns = raw.columns.map { column in
                resolve(column, vocabularies: vocabularies, keepKeys: keyedColumns.contains(column.schema.name), report: &report)
            }
            return Table(name: name, rowCount: raw.rowCount, columns: columns)
        }
        var sideTables: [String: Table] = [:]
        for (index, side) in schema.sideTables.enumerated() {
            sideTables[side.name] = table(side.name, rawSides[side.name]!, report: &reports[index])
        }
        var splits: [String: Table] = [:]
        for (name, raw) in rawSplits.sorted(by: { $0.key < $1.key }) {
            var report = splitReports[name]!
            let split = table(name, raw, report: &report)
            let joins = try SideTableJoin.joins(of: split, with: sideTables, schema: schema, report: &report)
            splits[name] = split.joining(joins)
            reports.append(report)
        }
        return Dataset(
            directory: directory, schema: schema, splits: splits, sideTables: sideTables,
            vocabularies: vocabularies, reports: reports, loadedFromCache: false)
    }

    /// One vocabulary per column that declares one, built from the vocabulary split's values
    /// of that column and of every column that shares it, and from the side tables.
    func buildVocabularies(training: RawTable?, sides: [RawTable]) -> [String: VocabularyTable] {
        var result: [String: VocabularyTable] = [:]
        let allColumns = schema.columns + schema.sideTables.flatMap(\.columns)
        for owner in allColumns {
            guard let kind = owner.vocabulary, result[owner.name] == nil else { continue }
            var keys: [[Int64]] = []
            for raw in [training].compactMap({ $0 }) + sides {
                for column in raw.columns
                where column.schema.name == owner.name || column.schema.vocabularyOf == owner.name {
                    keys.append(column.keys)
                }
            }
            result[owner.name] = VocabularyTable(column: owner.name, kind: kind, trainingKeys: keys)
        }
        return result
    }

    func resolve(
        _ raw: RawColumn, vocabularies: [String: VocabularyTable], keepKeys: Bool, report: inout LoadReport
    ) -> Column {
        let schema = raw.schema
        let keepsKeys = keepKeys || [.user, .item, .day, .group].contains(schema.role)
        switch schema.kind {
        case .dense, .label:
            return Column(schema: schema, values: .floats(ColumnBuffer(raw.floats)))
        case .timestamp:
            return Column(schema: schema, values: .integers(ColumnBuffer(raw.integers)))
        case .timestampList:
            return Column(
                schema: schema,
                values: .timestampLists(values: ColumnBuffer(raw.integers), offsets: ColumnBuffer(raw.listOffsets)))
        case .categorical, .idList:
            let vocabulary = vocabularies[schema.vocabularyOf ?? schema.name]!
            let (ids, outOfVocabulary) = vocabulary.map(raw.keys)
            if outOfVocabulary > 0 { report.outOfVocabulary[schema.name, default: 0] += outOfVocabulary }
            if schema.kind == .idList {
                return Column(
                    schema: schema,
                    values: .lists(ids: ColumnBuffer(ids), offsets: ColumnBuffer(raw.listOffsets)))
            }
            return Column(
                schema: schema, values: .ids(ColumnBuffer(ids)), keys: keepsKeys ? ColumnBuffer(raw.keys) : nil)
        }
    }
}
