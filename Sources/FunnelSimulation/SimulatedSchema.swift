import FunnelData

extension SideTableSchema {
    /// The side table of one entity (`user`, `item`, `video`): keyed by its id column, which
    /// shares the splits' vocabulary, followed by the entity's features.
    static func keyed(by key: String, features: [ColumnSchema]) -> SideTableSchema {
        SideTableSchema(
            name: key, table: TableFile(file: "\(key).csv"), key: [key],
            columns: [ColumnSchema(name: key, kind: .categorical, vocabularyOf: key)] + features)
    }
}

extension DatasetSchema {
    /// The schema of a simulated dataset: splits `train` and `test`, stored only in binary.
    static func simulated(
        name: String, columns: [ColumnSchema], sideTables: [SideTableSchema], notes: String
    ) -> DatasetSchema {
        DatasetSchema(
            name: name, tables: ["train": TableFile(file: "train.csv"), "test": TableFile(file: "test.csv")],
            columns: columns, sideTables: sideTables, notes: notes, storage: .binary)
    }
}
