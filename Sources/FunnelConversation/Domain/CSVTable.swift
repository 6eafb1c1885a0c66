import Foundation

/// A comma-separated file with a header row, read whole (RFC 4180: fields in double quotes may
/// hold commas, line breaks and doubled quotes `""`). Each row keeps the 1-based line it starts
/// on, so that errors name it.
struct CSVTable {
    let path: String
    /// The header's column names.
    let header: [String]
    /// The rows after the header, blank lines skipped; each has at least `header.count` fields.
    let rows: [(line: Int, fields: [String])]

    /// - Throws: ``ConversationError`` for a file that cannot be read, an empty file, an
    ///   unterminated quoted field or a row with fewer fields than the header.
    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConversationError.file(path, "cannot be read")
        }
        var records = try Self.records(of: [UInt8](data), path: path)
        guard !records.isEmpty else {
            throw ConversationError.file(path, "is empty: expected a header row")
        }
        let header = records.removeFirst().fields
        for record in records where record.fields.count < header.count {
            throw ConversationError.file(
                path, line: record.line,
                "expected \(header.count) fields (\(header.joined(separator: ","))), found \(record.fields.count)"
            )
        }
        self.path = path
        self.header = header
        self.rows = records
    }

    /// The position of a named column.
    /// - Throws: ``ConversationError`` on line 1 when the header lacks it.
    func column(_ name: String) throws -> Int {
        guard let position = header.firstIndex(of: name) else {
            throw ConversationError.file(
                path, line: 1, field: name,
                "missing column: the header is \(header.joined(separator: ","))")
        }
        return position
    }

    /// The records of the bytes, each with the line it starts on.
    private static func records(of bytes: [UInt8], path: String) throws -> [(
        line: Int, fields: [String]
    )] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var isQuoted = false, fieldWasQuoted = false
        var line = 1, recordLine = 1
        // A UTF-8 byte order mark is not part of the first column's name.
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0

        func endRecord() {
            fields.append(String(decoding: field, as: UTF8.self))
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) {
                records.append((recordLine, fields))
            }
            fields = []
            field = []
            fieldWasQuoted = false
        }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if isQuoted {
                if byte == quote {
                    if index < bytes.count, bytes[index] == quote {
                        field.append(quote)
                        index += 1
                    } else {
                        isQuoted = false
                    }
                } else {
                    if byte == newline { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case quote where field.isEmpty && !fieldWasQuoted:
                isQuoted = true
                fieldWasQuoted = true
            case comma:
                fields.append(String(decoding: field, as: UTF8.self))
                field = []
                fieldWasQuoted = false
            case carriageReturn where index < bytes.count && bytes[index] == newline:
                break
            case newline:
                endRecord()
                line += 1
                recordLine = line
            default:
                field.append(byte)
            }
        }
        if isQuoted {
            throw ConversationError.file(path, line: recordLine, "a quoted field is not closed")
        }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}

/// Reading a ratings table (`user,item,rating,timestamp` under the source's column names).
extension CSVTable {
    /// The ratings of the table, in file order.
    /// - Throws: ``ConversationError`` naming the line and field of a rating that is not a
    ///   number or a timestamp that is not an integer.
    func ratings(user: String, item: String, rating: String, timestamp: String) throws
        -> [(userId: String, rating: UserRating)]
    {
        let userColumn = try column(user), itemColumn = try column(item)
        let ratingColumn = try column(rating), timestampColumn = try column(timestamp)
        return try rows.map { row in
            let ratingText = row.fields[ratingColumn].trimmingCharacters(in: .whitespaces)
            guard let value = Double(ratingText), value.isFinite else {
                throw ConversationError.file(
                    path, line: row.line, field: rating,
                    "expected a number, found \"\(ratingText)\"")
            }
            let timestampText = row.fields[timestampColumn].trimmingCharacters(in: .whitespaces)
            guard let time = Int(timestampText) else {
                throw ConversationError.file(
                    path, line: row.line, field: timestamp,
                    "expected an integer, found \"\(timestampText)\"")
            }
            let userId = row.fields[userColumn].trimmingCharacters(in: .whitespaces)
            let itemId = row.fields[itemColumn].trimmingCharacters(in: .whitespaces)
            return (userId, UserRating(itemId: itemId, rating: value, timestamp: time))
        }
    }
}
