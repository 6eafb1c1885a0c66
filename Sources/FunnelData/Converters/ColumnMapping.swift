/// One source column carried into a canonical column.
struct ColumnMapping {
    /// The name in the source file's header.
    var source: String
    /// The canonical column.
    var column: ColumnSchema
    /// For a categorical column of already label-encoded integer ids: declare an identity
    /// vocabulary sized by the largest id seen in any split, plus one (torch-rechub's
    /// `max + 1`). The placeholder vocabulary is replaced when the sizes are known.
    var identityFromData = false

    init(_ source: String, _ column: ColumnSchema, identityFromData: Bool = false) {
        self.source = source
        self.column = column
        self.identityFromData = identityFromData
    }

    /// A label-encoded integer id column (identity vocabulary sized from the data).
    static func encoded(_ source: String, as name: String, role: ColumnSchema.Role = .feature)
        -> ColumnMapping
    {
        ColumnMapping(
            source,
            ColumnSchema(
                name: name, kind: .categorical, role: role, vocabulary: .identity(size: 1)),
            identityFromData: true)
    }

    /// A dense float column.
    static func dense(_ source: String, as name: String, role: ColumnSchema.Role = .feature)
        -> ColumnMapping
    {
        ColumnMapping(source, ColumnSchema(name: name, kind: .dense, role: role))
    }

    /// A label column.
    static func label(_ source: String, as name: String) -> ColumnMapping {
        ColumnMapping(source, ColumnSchema(name: name, kind: .label))
    }
}
