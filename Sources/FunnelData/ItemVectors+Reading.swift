import Foundation

extension ItemVectors {
    /// Reads `[N, d]` item vectors from a `.csv` or `.npy` file (chosen by the extension).
    ///
    /// - Parameter itemCount: N, the dataset's items; the file must hold exactly N rows.
    /// - Throws: ``DataError`` naming the file and the offending line (CSV) or row (npy).
    public static func read(path: String, itemCount: Int) throws -> ItemVectors {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv": return try readCSV(path: path, itemCount: itemCount)
        case "npy": return try readNumPy(path: path, itemCount: itemCount)
        default:
            throw DataError.unreadable(path: path, reason: "unknown vector file type; expected .csv or .npy")
        }
    }

    /// A CSV with a header, one row per item in id order. An optional first column named `item`
    /// must read 1, 2, … N; every other field is a finite number.
    ///
    /// - Throws: ``DataError``: a ragged row (its line, both field counts), an item column out
    ///   of order, a value that is not a finite number (line and column), or another number of
    ///   rows than N (both counts).
    public static func readCSV(path: String, itemCount: Int) throws -> ItemVectors {
        let table = try SourceTable(path: path)
        let hasItemColumn = table.header.first?.lowercased() == "item"
        let first = hasItemColumn ? 1 : 0
        let dimensions = table.header.count - first
        guard dimensions >= 1 else {
            throw DataError.badValue(
                FileLocation(file: path, line: 1), found: table.header.joined(separator: ","),
                expected: "a header naming at least one value column")
        }
        var values: [Float] = []
        values.reserveCapacity(itemCount * dimensions)
        var rows = 0
        var lastLine = 1
        try table.forEachRow { row in
            rows += 1
            lastLine = row.line
            if hasItemColumn {
                let range = row.range(0)
                guard FieldParsing.integer(row.base, range.lowerBound, range.upperBound) == Int64(rows) else {
                    throw row.failure(0, expected: "item id \(rows) (rows list items 1 … N in id order)")
                }
            }
            guard rows <= itemCount else {
                throw DataError.badValue(
                    FileLocation(file: path, line: row.line), found: "more than \(itemCount) rows",
                    expected: "\(itemCount) rows, one per item of the dataset")
            }
            for column in first..<table.header.count {
                let range = row.range(column)
                guard let value = FieldParsing.double(row.base, range.lowerBound, range.upperBound),
                    Float(value).isFinite
                else {
                    throw row.failure(column, expected: "a finite number (row of item \(rows))")
                }
                values.append(Float(value))
            }
        }
        guard rows == itemCount else {
            throw DataError.badValue(
                FileLocation(file: path, line: lastLine + 1), found: "\(rows) rows",
                expected: "\(itemCount) rows, one per item of the dataset")
        }
        return ItemVectors(itemCount: itemCount, dimensions: dimensions, values: values, source: path)
    }

    /// A NumPy `.npy` file, format version 1, 2 or 3: a 2-D array `[N, d]` of dtype `<f4` or
    /// `<f8` in C order (f8 is narrowed to Float32).
    ///
    /// - Throws: ``DataError/unreadable(path:reason:)``: a bad magic string or header, another
    ///   dtype, Fortran order, a rank other than 2, a truncated file, N rows other than
    ///   `itemCount` (both counts), or a non-finite value (its row and column, 0-based).
    public static func readNumPy(path: String, itemCount: Int) throws -> ItemVectors {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(path: path, reason: "no such file")
        }
        let bytes = [UInt8](data)
        func refuse(_ reason: String) -> DataError { DataError.unreadable(path: path, reason: reason) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw refuse("not a NumPy file: expected the magic string \\x93NUMPY")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw refuse("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw refuse("npy format version \(major) is not supported; expected 1, 2 or 3")
        }
        guard headerStart + headerLength <= bytes.count else { throw refuse("truncated header (\(headerLength) bytes declared)") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let descr = try headerValue(header, key: "descr", path: path)
        let wide: Bool
        switch descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")) {
        case "<f4": wide = false
        case "<f8": wide = true
        default: throw refuse("header dtype \(descr); expected '<f4' or '<f8' (little-endian float)")
        }
        guard try headerValue(header, key: "fortran_order", path: path).hasPrefix("False") else {
            throw refuse("header fortran_order is True; expected C order (numpy.ascontiguousarray)")
        }
        let shapeText = try headerValue(header, key: "shape", path: path)
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .compactMap { Int($0) }
        guard shape.count == 2, shape[1] >= 1 else {
            throw refuse("header shape \(shapeText); expected a 2-D array (items, dimensions)")
        }
        guard shape[0] == itemCount else {
            throw refuse("\(shape[0]) rows; expected \(itemCount), one per item of the dataset")
        }
        let width = wide ? 8 : 4
        let start = headerStart + headerLength
        let count = shape[0] * shape[1]
        guard bytes.count - start >= count * width else {
            throw refuse("truncated data: \(bytes.count - start) bytes for \(count) values of \(width) bytes")
        }
        var values = [Float](repeating: 0, count: count)
        for index in 0..<count {
            let offset = start + index * width
            var bits: UInt64 = 0
            for byte in 0..<width { bits |= UInt64(bytes[offset + byte]) << (8 * byte) }
            let value = wide ? Float(Double(bitPattern: bits)) : Float(bitPattern: UInt32(truncatingIfNeeded: bits))
            guard value.isFinite else {
                throw refuse("row \(index / shape[1]) (item \(index / shape[1] + 1)), column \(index % shape[1]): \(value); expected a finite number")
            }
            values[index] = value
        }
        return ItemVectors(itemCount: itemCount, dimensions: shape[1], values: values, source: path)
    }

    /// The text after `'key':` in a NumPy header dictionary, up to the next top-level comma.
    private static func headerValue(_ header: String, key: String, path: String) throws -> String {
        guard let keyRange = header.range(of: "'\(key)':") else {
            throw DataError.unreadable(path: path, reason: "bad npy header (no '\(key)'): \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        var depth = 0
        var text = ""
        for character in header[keyRange.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," && depth == 0) || character == "}" { break }
            text.append(character)
        }
        return text.trimmingCharacters(in: .whitespaces)
    }
}
