/// The description of a canonical dataset folder, stored as `schema.json` beside its tables.
///
/// A dataset is a folder: `schema.json`, one delimited text file per split (`train`, `test`, …),
/// optional keyed side tables, and, once compiled, a binary cache. The schema names every
/// column's kind, role and vocabulary, and the labels present, so that models can declare what
/// they need and a dataset lacking it is refused by name.
public struct DatasetSchema: Codable, Sendable, Equatable {
    /// The dataset's name, for reports.
    public var name: String
    /// The splits, by name (`train` is where vocabularies are built).
    public var tables: [String: TableFile]
    /// The columns of every split, in file order of relevance (files may hold extra columns,
    /// which are ignored; a missing column is an error).
    public var columns: [ColumnSchema]
    /// Keyed tables joined onto rows when a batch is built (per user, per user-day, per item).
    public var sideTables: [SideTableSchema]
    /// What to do with a row holding a value that cannot be read.
    public var badRows: BadRowPolicy
    /// The split vocabularies are built from.
    public var vocabularySplit: String
    /// Free text: where the data came from, its licence, what was changed.
    public var notes: String?
    /// Where the rows live: in the text files (compiled to a cache), or only in the binary
    /// cache (written directly, as the simulator does; the table files are then optional
    /// human-readable copies and are not read).
    public var storage: Storage
    /// Per split, the file (in the folder) of true next-item probabilities of its rows, raw
    /// little-endian Float32 of shape `[rows, target vocabulary size]` (a simulator's truth for
    /// ranking metrics; read with ``Dataset/rankingTruth(split:)``). Absent when there is none.
    public var rankingTruth: [String: String]?

    public enum Storage: String, Codable, Sendable, CaseIterable {
        public init(from decoder: any Decoder) throws { self = try decodeListedValue(decoder) }

        case text, binary
    }

    public init(
        name: String, tables: [String: TableFile], columns: [ColumnSchema],
        sideTables: [SideTableSchema] = [], badRows: BadRowPolicy = .stop,
        vocabularySplit: String = "train", notes: String? = nil, storage: Storage = .text,
        rankingTruth: [String: String]? = nil
    ) {
        self.name = name
        self.tables = tables
        self.columns = columns
        self.sideTables = sideTables
        self.badRows = badRows
        self.vocabularySplit = vocabularySplit
        self.notes = notes
        self.storage = storage
        self.rankingTruth = rankingTruth
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        tables = try container.decode([String: TableFile].self, forKey: .tables)
        columns = try container.decode([ColumnSchema].self, forKey: .columns)
        sideTables = try container.decodeIfPresent([SideTableSchema].self, forKey: .sideTables) ?? []
        badRows = try container.decodeIfPresent(BadRowPolicy.self, forKey: .badRows) ?? .stop
        vocabularySplit = try container.decodeIfPresent(String.self, forKey: .vocabularySplit) ?? "train"
        notes = try container.decodeIfPresent(String.self, forKey: .notes)
        storage = try container.decodeIfPresent(Storage.self, forKey: .storage) ?? .text
        rankingTruth = try container.decodeIfPresent([String: String].self, forKey: .rankingTruth)
    }

    /// The column with the given name.
    public func column(named name: String) -> ColumnSchema? {
        columns.first { $0.name == name }
    }

    /// The labels present, in column order.
    public var labels: [String] {
        columns.compactMap { $0.kind == .label ? $0.name : nil }
    }
}

/// One split's file.
public struct TableFile: Codable, Sendable, Equatable {
    /// The file name, relative to the dataset folder.
    public var file: String
    /// The field delimiter: "," (CSV), "\t" (TSV) or any single byte.
    public var delimiter: String
    /// Whether the first line names the columns; without a header, columns are read by position
    /// in schema order.
    public var header: Bool

    public init(file: String, delimiter: String = ",", header: Bool = true) {
        self.file = file
        self.delimiter = delimiter
        self.header = header
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        file = try container.decode(String.self, forKey: .file)
        delimiter = try container.decodeIfPresent(String.self, forKey: .delimiter) ?? ","
        header = try container.decodeIfPresent(Bool.self, forKey: .header) ?? true
    }
}

/// What a loader does with a row holding a value it cannot read.
public enum BadRowPolicy: String, Codable, Sendable, CaseIterable {
    public init(from decoder: any Decoder) throws { self = try decodeListedValue(decoder) }

    /// The load stops with an error naming file, line, column and what was expected.
    case stop
    /// The row is skipped and counted in the load report (with the first few errors).
    case skip
}

/// A keyed table joined onto the rows of every split.
public struct SideTableSchema: Codable, Sendable, Equatable {
    /// The table's name (`user`, `user-day`, `item`, …).
    public var name: String
    /// Its file.
    public var table: TableFile
    /// The key columns; rows of a split are joined by the columns of the same names.
    public var key: [String]
    /// The value columns (the key columns are declared here too, with their kinds).
    public var columns: [ColumnSchema]

    public init(name: String, table: TableFile, key: [String], columns: [ColumnSchema]) {
        self.name = name
        self.table = table
        self.key = key
        self.columns = columns
    }
}

extension DatasetSchema {
    /// The vocabulary of every column that declares one (splits and side tables), by column
    /// name: what a column that shares a vocabulary (`vocabularyOf`) parses its ids against.
    var vocabularyOwners: [String: Vocabulary] {
        Dictionary(
            (columns + sideTables.flatMap(\.columns)).compactMap { column in column.vocabulary.map { (column.name, $0) } },
            uniquingKeysWith: { first, _ in first })
    }
}
