#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one delimited text file into raw columns, following a list of column schemas.
///
/// Every rejected value becomes a ``DataError`` naming file, line, column and what was
/// expected. Under the `stop` policy the first one is thrown; under `skip` the row is dropped,
/// counted in the ``LoadReport`` and the first errors are kept there.
struct TableReader {
    let path: String
    let table: TableFile
    let columns: [ColumnSchema]
    let badRows: BadRowPolicy
    /// The vocabulary of every column that owns one, so that a column declared with
    /// `vocabularyOf` is read the way its owner is (an identity vocabulary's ids as integers).
    var vocabularies: [String: Vocabulary] = [:]
    /// Extra checks on the values of some columns (by name).
    var checks: [String: ValueCheck] = [:]
    /// Whether to record the line each kept row started on (``RawTable/lines``).
    var recordLines = false
    /// How many error messages a report keeps.
    static let keptErrors = 20

    /// The longest header line accepted: a file without a line end near its start is not a
    /// table, and is refused before it is scanned whole.
    static let maximumHeaderBytes = 1 << 20

    func read() throws -> (RawTable, LoadReport) {
        let file = try MappedFile(path: path)
        return try read(bytes: file.bytes)
    }

    /// Reads the table from `bytes` (the file's contents; `path` names it in errors).
    func read(bytes: UnsafeRawBufferPointer) throws -> (RawTable, LoadReport) {
        guard table.delimiter.utf8.count == 1, let delimiter = table.delimiter.utf8.first,
            ![0x22, 0x0A, 0x0D].contains(delimiter)
        else {
            throw DataError.invalidSchema(
                path: path,
                reason: "delimiter '\(table.delimiter.truncatedForMessage())' is not one byte other than a quote or a line end")
        }
        var scanner = DelimitedScanner(bytes: bytes, delimiter: delimiter, file: path)
        var fields: [FieldSpan] = []
        var report = LoadReport(file: path)

        // Where each schema column sits in a row.
        let positions: [Int]
        var expectedFields = columns.count
        var header: [String] = columns.map(\.name)
        if table.header {
            let bound = Self.maximumHeaderBytes
            if bytes.count > bound, let base = bytes.baseAddress, memchr(base, 0x0A, bound) == nil {
                throw Self.headerTooLong(path: path, bytes: bytes)
            }
            guard try scanner.nextRow(into: &fields) != nil else {
                throw DataError.unreadable(path: path, reason: "the file is empty; expected a header")
            }
            // A quoted header may span lines; it is bounded all the same.
            if scanner.position > bound + 2 { throw Self.headerTooLong(path: path, bytes: bytes) }
            header = fields.map { scanner.text(of: $0).trimmingSpaces() }
            expectedFields = header.count
            var firstPosition: [String: Int] = [:]
            for (index, name) in header.enumerated() {
                if let first = firstPosition[name] {
                    throw DataError.badValue(
                        FileLocation(file: path, line: 1, column: index + 1),
                        found: name,
                        expected: "a header name not already used by column \(first + 1) (header names must be unique)")
                }
                firstPosition[name] = index
            }
            positions = try columns.map { column in
                guard let index = header.firstIndex(of: column.name) else {
                    throw DataError.missingColumn(file: path, column: column.name, header: header)
                }
                return index
            }
        } else {
            positions = Array(columns.indices)
        }

        let estimatedRows = Swift.max(16, Swift.min(bytes.count / Swift.max(1, 8 * expectedFields), 1 << 24))
        var raw = RawTable(columns: columns.map { RawColumn(schema: $0, capacity: estimatedRows) })
        let parsers = try zip(columns, positions).map { column, position in
            try ValueParser(
                schema: column, vocabulary: column.vocabulary ?? column.vocabularyOf.flatMap { vocabularies[$0] },
                position: position, path: path, check: checks[column.name])
        }
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return (raw, report)
        }
        let names = columns.map(\.name)
        try parsers.withUnsafeBufferPointer { parsers in
            while let line = try scanner.nextRow(into: &fields) {
                report.rowsRead += 1
                do {
                    guard fields.count == expectedFields else {
                        throw DataError.wrongFieldCount(
                            FileLocation(file: path, line: line), found: fields.count, expected: expectedFields)
                    }
                    var repaired = false
                    for index in 0..<parsers.count {
                        let position = parsers[index].position
                        let outcome: ValueParser.Outcome
                        do throws(FieldFailure) {
                            outcome = try parsers[index].append(fields[position], base: base, to: &raw.columns[index])
                        } catch {
                            throw DataError.badValue(
                                FileLocation(file: path, line: line, column: position + 1, columnName: header[position]),
                                found: error.found, expected: error.expected)
                        }
                        if outcome != .value {
                            report.emptyValues[names[index], default: 0] += 1
                            if outcome == .defaulted { repaired = true }
                        }
                    }
                    raw.rowCount += 1
                    if recordLines { raw.lines.append(line) }
                    if repaired { report.rowsRepaired += 1 }
                } catch let error as DataError {
                    guard badRows == .skip else { throw error }
                    for index in raw.columns.indices { raw.columns[index].truncate(toRows: raw.rowCount) }
                    report.rowsSkipped += 1
                    if report.errors.count < Self.keptErrors { report.errors.append(error.description) }
                }
            }
        }
        report.rowsLoaded = raw.rowCount
        report.blankLines = scanner.blankLines
        return (raw, report)
    }
}

extension TableReader {
    static func headerTooLong(path: String, bytes: UnsafeRawBufferPointer) -> DataError {
        let start = String(decoding: UnsafeRawBufferPointer(rebasing: bytes.prefix(80)), as: UTF8.self)
        return DataError.badValue(
            FileLocation(file: path, line: 1), found: start,
            expected: "a header line of at most \(maximumHeaderBytes) bytes ending in a line end (is this a delimited table?)")
    }
}

/// Why a field was rejected; the reader adds the location.
struct FieldFailure: Error {
    var found: String
    var expected: String
}

/// How one column's field is turned into a value. Holds only plain values: it runs once per
/// field of a file of millions of rows.
struct ValueParser {
    enum Outcome { case value, defaulted, missing }

    let kind: ColumnSchema.Kind
    let position: Int
    private let empty: ColumnSchema.EmptyPolicy
    /// The size of an identity vocabulary, or −1.
    private let identitySize: Int
    private let separator: UInt8
    private let defaultBytes: [UInt8]

    private let check: ValueCheck?

    init(schema: ColumnSchema, vocabulary: Vocabulary?, position: Int, path: String, check: ValueCheck? = nil) throws {
        kind = schema.kind
        self.position = position
        self.check = (schema.kind == .dense || schema.kind == .label) ? check : nil
        empty = schema.empty
        if case .identity(let size) = vocabulary { identitySize = size } else { identitySize = -1 }
        separator = schema.separator?.utf8.first ?? 0x7C
        if schema.empty == .useDefault {
            guard let value = schema.defaultValue else {
                throw DataError.invalidSchema(
                    path: path, reason: "column '\(schema.name)' uses a default for empty values but declares none")
            }
            defaultBytes = Array(value.utf8)
        } else {
            defaultBytes = []
        }
    }

    /// Parses `field` and appends its value to `column`.
    func append(_ field: FieldSpan, base: UnsafePointer<UInt8>, to column: inout RawColumn) throws(FieldFailure)
        -> Outcome
    {
        if field.isEmpty {
            switch empty {
            case .error:
                throw FieldFailure(found: "", expected: expectation + " (the field is empty)")
            case .missing:
                column.appendMissing()
                return .missing
            case .useDefault:
                try parseCopy(defaultBytes, to: &column)
                return .defaulted
            }
        }
        if field.quoted && (field.start..<field.end).contains(where: { base[$0] == 0x22 }) {
            var unescaped: [UInt8] = []
            var index = field.start
            while index < field.end {
                unescaped.append(base[index])
                index += base[index] == 0x22 ? 2 : 1
            }
            try parseCopy(unescaped, to: &column)
        } else {
            try parse(base, field.start, field.end, to: &column)
        }
        return .value
    }

    private func parseCopy(_ bytes: [UInt8], to column: inout RawColumn) throws(FieldFailure) {
        let result: Result<Void, FieldFailure> = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return .failure(failure(nil, 0, 0)) }
            do throws(FieldFailure) {
                try parse(base, 0, buffer.count, to: &column)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private func parse(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, to column: inout RawColumn)
        throws(FieldFailure)
    {
        switch kind {
        case .dense, .label:
            guard let value = FieldParsing.double(base, start, end) else { throw failure(base, start, end) }
            let float = Float(value)
            switch check {
            case nil: break
            case .finite:
                guard float.isFinite else {
                    throw FieldFailure(found: Self.text(base, start, end), expected: "a finite number (within ±3.4e38)")
                }
            case .binary:
                guard float == 0 || float == 1 else {
                    throw FieldFailure(found: Self.text(base, start, end), expected: "0 or 1")
                }
            }
            column.floats.append(float)
        case .timestamp:
            guard let value = FieldParsing.integer(base, start, end) else { throw failure(base, start, end) }
            column.integers.append(value)
        case .categorical:
            column.keys.append(try key(base, start, end))
        case .idList:
            var tokenStart = start
            for index in start...end where index == end || base[index] == separator {
                if index > tokenStart { column.keys.append(try key(base, tokenStart, index)) }
                tokenStart = index + 1
            }
            column.listOffsets.append(Int64(column.keys.count))
        case .timestampList:
            var elementStart = start
            for index in start...end where index == end || base[index] == separator {
                if index > elementStart {
                    guard let value = FieldParsing.integer(base, elementStart, index) else {
                        throw FieldFailure(
                            found: Self.text(base, elementStart, index),
                            expected: "an integer time (an element of a list separated by '\(Self.separatorText(separator))')")
                    }
                    column.integers.append(value)
                }
                elementStart = index + 1
            }
            column.listOffsets.append(Int64(column.integers.count))
        }
    }

    private static func separatorText(_ byte: UInt8) -> String {
        String(decoding: [byte], as: UTF8.self)
    }

    private func key(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws(FieldFailure) -> Int64 {
        guard identitySize >= 0 else {
            return Int64(bitPattern: FieldParsing.hash(base, start, end))
        }
        guard let value = FieldParsing.integer(base, start, end), value >= 0, value < identitySize else {
            throw FieldFailure(
                found: Self.text(base, start, end),
                expected: "an id in 0..<\(identitySize) (identity vocabulary: unknown ids are not hashed)")
        }
        return value
    }

    private var expectation: String {
        switch kind {
        case .dense, .label:
            switch check {
            case .finite: return "a finite number"
            case .binary: return "0 or 1"
            case nil: return "a number"
            }
        case .timestamp: return "an integer"
        case .timestampList: return "integer times separated by '\(Self.separatorText(separator))'"
        case .categorical, .idList: return identitySize >= 0 ? "an id in 0..<\(identitySize)" : "an id"
        }
    }

    private func failure(_ base: UnsafePointer<UInt8>?, _ start: Int, _ end: Int) -> FieldFailure {
        FieldFailure(found: base.map { Self.text($0, start, end) } ?? "", expected: expectation)
    }

    static func text(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + start, count: Swift.min(end - start, 80)), as: UTF8.self)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " || text.first == "\u{FEFF}" { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
