extension LeaveOneOutSequences {
    /// Reads the interactions of a delimited file with a header (CSV; TSV when the name ends in
    /// `.tsv` or the header holds a tab and no comma). Other columns are ignored; user and item
    /// keys are integers (any sign), times non-negative integer seconds.
    ///
    /// Every refusal is a ``DataError`` naming the file and line (and the column where there is
    /// one): a named column the header lacks (line 1, listing the header's columns), an empty
    /// user or item field, a key or a time that is not an integer, a negative time, a row with
    /// another number of fields than the header, a file without rows.
    public static func readInteractions(
        path: String, userColumn: String = "user", itemColumn: String = "item", timeColumn: String = "timestamp"
    ) throws -> [Interaction] {
        var table = try SourceTable(path: path)
        if path.hasSuffix(".tsv") || (table.header.count == 1 && table.header[0].contains("\t")) {
            table = try SourceTable(path: path, delimiter: "\t")
        }
        func position(_ name: String, option: String) throws -> Int {
            guard let index = table.header.firstIndex(of: name) else {
                throw DataError.badValue(
                    FileLocation(file: path, line: 1), found: table.header.joined(separator: ","),
                    expected: "a column named '\(name)' (\(option)); the header's columns are: "
                        + table.header.map { "'\($0.truncatedForMessage(40))'" }.joined(separator: ", "))
            }
            return index
        }
        let user = try position(userColumn, option: "--user")
        let item = try position(itemColumn, option: "--item")
        let time = try position(timeColumn, option: "--time")
        var interactions: [Interaction] = []
        var lastLine = 1
        try table.forEachRow { row in
            lastLine = row.line
            func key(_ index: Int, _ what: String) throws -> Int64 {
                guard !row.isEmpty(index) else {
                    throw row.failure(index, expected: "\(what == "item" ? "an" : "a") \(what) key (the field is empty)")
                }
                let range = row.range(index)
                guard let value = FieldParsing.integer(row.base, range.lowerBound, range.upperBound) else {
                    throw row.failure(index, expected: "an integer \(what) key")
                }
                return value
            }
            let range = row.range(time)
            guard let seconds = FieldParsing.integer(row.base, range.lowerBound, range.upperBound), seconds >= 0 else {
                throw row.failure(time, expected: "a non-negative integer time (seconds)")
            }
            interactions.append(Interaction(user: try key(user, "user"), item: try key(item, "item"), time: seconds))
        }
        guard !interactions.isEmpty else {
            throw DataError.badValue(
                FileLocation(file: path, line: lastLine + 1), found: "",
                expected: "an interaction row after the header (the file has none)")
        }
        return interactions
    }
}
