/// Where a value sits in a text file: 1-based line and column (field) numbers, and the
/// column's name when the file has a header.
public struct FileLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int?
    public var columnName: String?

    public init(file: String, line: Int, column: Int? = nil, columnName: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
    }

    public var description: String {
        var text = "\(file):\(line)"
        if let column { text += ":\(column)" }
        if let columnName { text += " (column '\(columnName.truncatedForMessage())')" }
        return text
    }
}

/// Every way reading a dataset can fail, each with enough context to fix the input.
public enum DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A value could not be read: `expected` says what would have been accepted.
    case badValue(FileLocation, found: String, expected: String)
    /// A row has the wrong number of fields.
    case wrongFieldCount(FileLocation, found: Int, expected: Int)
    /// A quoted field is not closed before the end of the file.
    case unterminatedQuote(FileLocation)
    /// A column the schema declares is not in the file's header.
    case missingColumn(file: String, column: String, header: [String])
    /// A file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The schema is inconsistent or could not be decoded.
    case invalidSchema(path: String, reason: String)
    /// A binary cache is damaged, truncated, of another version or of another source.
    case invalidCache(path: String, reason: String)
    /// A dataset lacks a column a model or command needs.
    case missingRequirement(dataset: String, column: String, reason: String)

    public var description: String {
        switch self {
        case .badValue(let location, let found, let expected):
            return "\(location): found '\(found.truncatedForMessage())', expected \(expected)"
        case .wrongFieldCount(let location, let found, let expected):
            return "\(location): found \(found) fields, expected \(expected)"
        case .unterminatedQuote(let location):
            return "\(location): a quoted field is not closed before the end of the file"
        case .missingColumn(let file, let column, let header):
            let shown = header.prefix(40).map { $0.truncatedForMessage(40) }
            let more = header.count > shown.count ? ", … \(header.count - shown.count) more" : ""
            return "\(file): no column '\(column.truncatedForMessage())' in the header (\(shown.joined(separator: ", "))\(more))"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read: \(reason)"
        case .invalidSchema(let path, let reason):
            return "\(path): invalid schema: \(reason)"
        case .invalidCache(let path, let reason):
            return "\(path): invalid cache: \(reason)"
        case .missingRequirement(let dataset, let column, let reason):
            return "dataset '\(dataset)' has no column '\(column)': \(reason)"
        }
    }
}
