import Foundation

/// One field of a row sent from outside a dataset's files (a scoring request): the text a file's
/// field would hold, an id or timestamp list's elements, or no value.
public enum RowField: Sendable, Equatable {
    case text(String)
    case list([String])
    case missing
}

/// Why a row could not be encoded: where (`rows[3].user_id`) and what was expected.
public struct RowEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 0-based row, `nil` for the request as a whole.
    public var row: Int?
    /// The column, `nil` for the row as a whole.
    public var column: String?
    public var message: String

    public init(row: Int?, column: String?, message: String) {
        self.row = row
        self.column = column
        self.message = message
    }

    /// The field path: `rows[3].user_id`, `rows[3]` or `rows`.
    public var path: String {
        "rows" + (row.map { "[\($0)]" } ?? "") + (column.map { ".\($0)" } ?? "")
    }

    public var description: String { "\(path): \(message)" }
}

/// Turns rows given by column name into a ``Table`` of a dataset exactly as the loader turns the
/// rows of one of its files: each field is parsed by the column's own rules (its empty-value
/// policy and default, its identity vocabulary's range), mapped through the dataset's
/// vocabularies (an unseen value takes the out-of-vocabulary id 0, as in training), and joined
/// to the dataset's side tables by their keys.
///
/// Columns are those of the dataset's splits. A row must carry every column of ``required``;
/// other columns it leaves out (labels, for instance) are missing values; a name the splits do
/// not have is refused, so a misspelt column cannot pass unnoticed.
public struct RowEncoder: Sendable {
    public let dataset: Dataset
    /// The columns every row must carry.
    public let required: [String]
    private let parsers: [String: ValueParser]
    private let columnNames: Set<String>
    /// The side tables' key indexes, built once: a request joins in time of its own rows.
    private let joinIndexes: [String: JoinIndex]

    /// - Parameter reading: the columns a model reads (side-table columns as `"side.column"`);
    ///   a row must carry those of the splits, except labels, and the keys of every side table
    ///   read.
    /// - Throws: `DataError` for a column the dataset cannot parse.
    public init(dataset: Dataset, reading columns: Set<String>) throws {
        self.dataset = dataset
        let schema = dataset.schema
        let splitColumns = Set(schema.columns.map(\.name))
        var required = Set(columns.filter { name in
            splitColumns.contains(name) && schema.columns.first { $0.name == name }?.kind != .label
        })
        for side in schema.sideTables where columns.contains(where: { $0.hasPrefix(side.name + ".") }) {
            required.formUnion(side.key)
        }
        self.required = required.sorted()
        columnNames = splitColumns
        joinIndexes = try SideTableJoin.indexes(of: dataset.sideTables, schema: schema)
        let owners = schema.vocabularyOwners
        parsers = try Dictionary(uniqueKeysWithValues: schema.columns.enumerated().map { position, column in
            let vocabulary = column.vocabulary ?? column.vocabularyOf.flatMap { owners[$0] }
            let parser = try ValueParser(
                schema: column, vocabulary: vocabulary, position: position, path: "request")
            return (column.name, parser)
        })
    }

    /// The rows as a table named `request`, side tables joined.
    /// - Throws: ``RowEncodingError`` naming the first bad field.
    public func table(_ rows: [[String: RowField]]) throws -> Table {
        let schema = dataset.schema
        var raw = schema.columns.map { RawColumn(schema: $0, capacity: rows.count) }
        for (index, row) in rows.enumerated() {
            if let unknown = row.keys.filter({ !columnNames.contains($0) }).min() {
                throw RowEncodingError(
                    row: index, column: unknown,
                    message: "not a column of dataset '\(schema.name)' (its columns: \(schema.columns.map(\.name).joined(separator: ", ")))")
            }
            for name in required where row[name] == nil {
                throw RowEncodingError(row: index, column: name, message: "missing; the model reads this column")
            }
            for position in raw.indices {
                let column = schema.columns[position]
                guard let field = row[column.name] else {
                    raw[position].appendMissing()
                    continue
                }
                try append(field, to: &raw[position], parser: parsers[column.name]!, row: index)
            }
        }
        let loader = DatasetTextLoader(directory: dataset.directory, schema: schema)
        let keyed = Set(schema.sideTables.flatMap(\.key))
        var report = LoadReport(file: "request")
        let columns = raw.map { column in
            loader.resolve(column, vocabularies: dataset.vocabularies, keepKeys: keyed.contains(column.schema.name), report: &report)
        }
        let table = Table(name: "request", rowCount: rows.count, columns: columns)
        let joins = try SideTableJoin.joins(of: table, indexes: joinIndexes, schema: schema, report: &report)
        return table.joining(joins)
    }

    private func append(_ field: RowField, to column: inout RawColumn, parser: ValueParser, row: Int) throws {
        let text: String
        switch field {
        case .missing: text = ""
        case .text(let value): text = value
        case .list(let elements):
            guard column.schema.kind == .idList || column.schema.kind == .timestampList else {
                throw RowEncodingError(row: row, column: column.schema.name, message: "expected \(Self.expectation(column.schema)), found a list")
            }
            let separator = column.schema.separator ?? "|"
            if let bad = elements.first(where: { $0.isEmpty || $0.contains(separator) }) {
                throw RowEncodingError(
                    row: row, column: column.schema.name,
                    message: "list element \(String(reflecting: bad)) is empty or holds the separator '\(separator)'")
            }
            text = elements.joined(separator: separator)
        }
        var bytes = Array(text.utf8)
        bytes.append(0)
        do {
            _ = try bytes.withUnsafeBufferPointer { buffer throws(FieldFailure) in
                try parser.append(FieldSpan(start: 0, end: buffer.count - 1, quoted: false), base: buffer.baseAddress!, to: &column)
            }
        } catch {
            throw RowEncodingError(
                row: row, column: column.schema.name,
                message: "expected \(error.expected), found \(String(reflecting: error.found))")
        }
    }

    /// What a column's field holds, for refusals.
    static func expectation(_ column: ColumnSchema) -> String {
        switch column.kind {
        case .dense, .label: return "a number"
        case .timestamp: return "an integer time"
        case .categorical: return "a value (a string or an integer)"
        case .idList: return "a list of values"
        case .timestampList: return "a list of integer times"
        }
    }
}
