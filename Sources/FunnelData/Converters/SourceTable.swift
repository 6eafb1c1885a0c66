import Foundation

/// A file of a source dataset, as its authors shipped it, read row by row for a conversion.
///
/// The bytes are memory-mapped (or, for a decompressed file, held in memory) and split with the
/// loader's ``DelimitedScanner``; fields are read straight from the bytes. Every failure is a
/// ``DataError`` naming the file, the 1-based line and the column, as the loader's are.
struct SourceTable {
    /// The path used in error messages.
    let path: String
    /// The header's names (empty names for a file without a header).
    let header: [String]
    private let delimiter: UInt8
    private let storage: Storage
    private let firstRow: (position: Int, line: Int)

    private enum Storage {
        case mapped(MappedFile)
        case owned(Data)
    }

    /// Maps the file at `path`.
    /// - Parameters:
    ///   - delimiter: the field separator.
    ///   - columns: for a file without a header, its number of fields; `nil` reads the header.
    init(path: String, delimiter: Character = ",", columns: Int? = nil) throws {
        try self.init(
            storage: .mapped(MappedFile(path: path)), path: path, delimiter: delimiter,
            columns: columns)
    }

    /// Reads bytes already in memory (a decompressed file); `path` names them in errors.
    init(bytes: Data, path: String, delimiter: Character = ",", columns: Int? = nil) throws {
        try self.init(storage: .owned(bytes), path: path, delimiter: delimiter, columns: columns)
    }

    private init(storage: Storage, path: String, delimiter: Character, columns: Int?) throws {
        self.storage = storage
        self.path = path
        self.delimiter = delimiter.asciiValue ?? 0x2C
        if let columns {
            header = Array(repeating: "", count: columns)
            firstRow = (0, 1)
            return
        }
        let separator = self.delimiter
        (header, firstRow) = try Self.withBytes(storage) { bytes in
            var scanner = DelimitedScanner(bytes: bytes, delimiter: separator, file: path)
            var fields: [FieldSpan] = []
            guard try scanner.nextRow(into: &fields) != nil else {
                throw DataError.unreadable(
                    path: path, reason: "the file is empty; expected a header")
            }
            return (
                fields.map { scanner.text(of: $0).trimmingSpaces() },
                (scanner.position, scanner.line)
            )
        }
    }

    private static func withBytes<Result>(
        _ storage: Storage, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        switch storage {
        case .mapped(let file): return try body(file.bytes)
        case .owned(let data): return try data.withUnsafeBytes(body)
        }
    }

    /// The position of a header column, or ``DataError/missingColumn(file:column:header:)``.
    func column(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw DataError.missingColumn(file: path, column: name, header: header)
        }
        return index
    }

    /// Calls `body` with every data row (blank lines are passed over); a row with another
    /// number of fields than the header is an error naming its line.
    func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        let (path, header, delimiter, firstRow) = (
            self.path, self.header, self.delimiter, self.firstRow
        )
        try Self.withBytes(storage) { bytes in
            guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var scanner = DelimitedScanner(
                bytes: bytes, delimiter: delimiter, file: path, position: firstRow.position,
                line: firstRow.line)
            var fields: [FieldSpan] = []
            fields.reserveCapacity(header.count)
            let context = SourceRow.Context(path: path, header: header)
            while let line = try scanner.nextRow(into: &fields) {
                guard fields.count == header.count else {
                    throw DataError.wrongFieldCount(
                        FileLocation(file: path, line: line), found: fields.count,
                        expected: header.count)
                }
                try fields.withUnsafeMutableBufferPointer { fields in
                    // Trimmed once here, so that every later look at a field is a plain read.
                    for index in fields.indices {
                        var (start, end) = (fields[index].start, fields[index].end)
                        while start < end && (base[start] == 0x20 || base[start] == 0x09) {
                            start += 1
                        }
                        while end > start && (base[end - 1] == 0x20 || base[end - 1] == 0x09) {
                            end -= 1
                        }
                        (fields[index].start, fields[index].end) = (start, end)
                    }
                    try body(
                        SourceRow(
                            context: context, line: line, base: base,
                            fields: UnsafeBufferPointer(fields)))
                }
            }
        }
    }
}
