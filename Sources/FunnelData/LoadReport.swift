/// What a load did to its input: nothing is dropped or changed without being counted here.
public struct LoadReport: Codable, Sendable, Equatable {
    /// The file read.
    public var file: String
    /// Data rows found (blank lines excluded).
    public var rowsRead = 0
    /// Rows kept.
    public var rowsLoaded = 0
    /// Rows skipped for a bad value (only under the `skip` bad-row policy).
    public var rowsSkipped = 0
    /// Rows kept with at least one empty value replaced by the column's default.
    public var rowsRepaired = 0
    /// Blank lines passed over.
    public var blankLines = 0
    /// Per column: empty fields (treated as missing or replaced by the default).
    public var emptyValues: [String: Int] = [:]
    /// Per column: values mapped to the reserved out-of-vocabulary id 0.
    public var outOfVocabulary: [String: Int] = [:]
    /// Per side table: rows whose key has no row in it.
    public var unmatchedJoins: [String: Int] = [:]
    /// The first errors met (all of them are counted in `rowsSkipped`).
    public var errors: [String] = []

    public init(file: String) {
        self.file = file
    }

    /// One line for a terminal.
    public var summary: String {
        var parts = ["\(file): \(rowsLoaded) rows loaded"]
        if rowsSkipped > 0 { parts.append("\(rowsSkipped) skipped") }
        if rowsRepaired > 0 { parts.append("\(rowsRepaired) repaired") }
        if blankLines > 0 { parts.append("\(blankLines) blank lines") }
        let empty = emptyValues.values.reduce(0, +)
        if empty > 0 { parts.append("\(empty) empty values") }
        let unknown = outOfVocabulary.values.reduce(0, +)
        if unknown > 0 { parts.append("\(unknown) out-of-vocabulary values") }
        let unmatched = unmatchedJoins.values.reduce(0, +)
        if unmatched > 0 { parts.append("\(unmatched) rows without a side-table row") }
        return parts.joined(separator: ", ")
    }
}
