/// Copies the mapped columns of source CSV files into canonical tables, checking every value
/// against its canonical column's kind (a bad value is an error naming file, line and column),
/// and sizes identity vocabularies from the data.
///
/// Values are copied byte for byte (trimmed), so nothing is re-rounded.
struct TableTranscoder {
    private(set) var mappings: [ColumnMapping]
    private var largestIdentifier: [Int64]

    init(_ mappings: [ColumnMapping]) {
        self.mappings = mappings
        largestIdentifier = Array(repeating: -1, count: mappings.count)
    }

    /// The canonical columns, with identity vocabularies sized by what was transcoded so far.
    var columns: [ColumnSchema] {
        zip(mappings, largestIdentifier).map { mapping, largest in
            var column = mapping.column
            if mapping.identityFromData {
                column.vocabulary = .identity(size: Int(Swift.max(largest + 1, 1)))
            }
            return column
        }
    }

    /// Transcodes every row of `source` into a new table named `name`.
    /// - Parameter check: called with every row and the source positions of the mapped columns
    ///   (in mapping order), for rules across columns; throw to reject the row.
    mutating func transcode(
        _ source: SourceTable, name: String, check: (SourceRow, [Int]) throws -> Void = { _, _ in }
    ) throws -> CanonicalTableWriter {
        let positions = try mappings.map { try source.column($0.source) }
        var writer = CanonicalTableWriter(name: name, columns: mappings.map(\.column))
        let checks = self.checks
        try source.forEachRow { row in
            try check(row, positions)
            for index in positions.indices {
                try append(row, positions[index], check: checks[index], mapping: index, to: &writer)
            }
            writer.endRow()
        }
        return writer
    }

    /// What the hot loop needs of a column, in plain values.
    private struct Check {
        var allowsEmpty: Bool
        var kind: ColumnSchema.Kind
        /// The identity vocabulary's size (−1: none; `Int.max`: sized from the data).
        var identitySize: Int
    }

    private var checks: [Check] {
        mappings.map { mapping in
            var size = -1
            if case .identity(let declared) = mapping.column.vocabulary {
                size = mapping.identityFromData ? Int.max : declared
            }
            return Check(
                allowsEmpty: mapping.column.empty != .error, kind: mapping.column.kind,
                identitySize: size)
        }
    }

    private mutating func append(
        _ row: SourceRow, _ position: Int, check: Check, mapping index: Int,
        to writer: inout CanonicalTableWriter
    ) throws {
        if row.isEmpty(position) {
            guard check.allowsEmpty else {
                throw row.failure(position, expected: "a value (the field is empty)")
            }
            writer.appendEmpty()
            return
        }
        switch check.kind {
        case .dense, .label:
            _ = try row.double(position)
        case .timestamp:
            _ = try row.integer(position)
        case .categorical where check.identitySize == Int.max:
            largestIdentifier[index] = Swift.max(
                largestIdentifier[index], try row.identifier(position))
        case .categorical where check.identitySize >= 0:
            guard try row.identifier(position) < check.identitySize else {
                throw row.failure(position, expected: "an id in 0..<\(check.identitySize)")
            }
        case .categorical, .idList, .timestampList:
            // Lists are checked element by element when the canonical folder is loaded.
            break
        }
        writer.append(row, position)
    }
}
