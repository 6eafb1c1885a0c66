/// One field of a delimited row: the byte range of its text inside the file, without the
/// surrounding quotes. A quoted field may hold doubled quotes (`""`) to unescape.
struct FieldSpan {
    var start: Int
    var end: Int
    var quoted: Bool

    var isEmpty: Bool { start == end }
}

/// Splits the bytes of a CSV/TSV file into rows of fields (RFC 4180: fields may be quoted with
/// `"`, a quote inside a quoted field is doubled, quoted fields may span lines; line ends are
/// LF or CRLF). Works on the bytes in place: no string is made for a field unless a caller asks.
struct DelimitedScanner {
    let bytes: UnsafeRawBufferPointer
    let delimiter: UInt8
    let file: String
    /// The byte offset of the next row.
    private(set) var position: Int
    /// The 1-based line on which the next row starts.
    private(set) var line: Int
    /// Blank lines passed over so far (they hold no row and are reported, not silently lost).
    private(set) var blankLines = 0

    init(bytes: UnsafeRawBufferPointer, delimiter: UInt8, file: String, position: Int = 0, line: Int = 1) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.file = file
        self.position = position
        self.line = line
    }

    /// Reads the next row's fields into `fields` and returns the line it started on, or `nil`
    /// at the end of the input (or at `limit`, a byte offset where a row starts).
    mutating func nextRow(into fields: inout [FieldSpan], limit: Int? = nil) throws -> Int? {
        let end = limit ?? bytes.count
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        // Skip blank lines (an empty line, or a lone CR).
        while position < end {
            let byte = base[position]
            if byte == 0x0A {
                position += 1
                line += 1
                blankLines += 1
            } else if byte == 0x0D && position + 1 < end && base[position + 1] == 0x0A {
                position += 2
                line += 1
                blankLines += 1
            } else {
                break
            }
        }
        guard position < end else { return nil }
        fields.removeAll(keepingCapacity: true)
        let rowLine = line
        var cursor = position
        while true {
            if cursor < end && base[cursor] == 0x22 {
                // Quoted field: find the closing quote that is not doubled.
                let quoteLine = line
                let start = cursor + 1
                cursor = start
                while true {
                    guard cursor < end else {
                        throw DataError.unterminatedQuote(
                            FileLocation(file: file, line: quoteLine, column: fields.count + 1))
                    }
                    let byte = base[cursor]
                    if byte == 0x22 {
                        if cursor + 1 < end && base[cursor + 1] == 0x22 {
                            cursor += 2
                            continue
                        }
                        break
                    }
                    if byte == 0x0A { line += 1 }
                    cursor += 1
                }
                fields.append(FieldSpan(start: start, end: cursor, quoted: true))
                cursor += 1
                // After the closing quote: a delimiter, a line end or the end of the input.
                if cursor < end && base[cursor] == 0x0D { cursor += 1 }
                if cursor < end && base[cursor] != delimiter && base[cursor] != 0x0A {
                    throw DataError.badValue(
                        FileLocation(file: file, line: line, column: fields.count),
                        found: String(
                            decoding: UnsafeRawBufferPointer(
                                rebasing: bytes[Swift.max(start - 1, cursor - 80)..<Swift.min(cursor + 1, end)]),
                            as: UTF8.self),
                        expected: "a delimiter or a line end after a closing quote")
                }
            } else {
                let start = cursor
                while cursor < end {
                    let byte = base[cursor]
                    if byte == delimiter || byte == 0x0A { break }
                    cursor += 1
                }
                var fieldEnd = cursor
                if fieldEnd > start && base[fieldEnd - 1] == 0x0D && (cursor == end || base[cursor] == 0x0A) {
                    fieldEnd -= 1
                }
                fields.append(FieldSpan(start: start, end: fieldEnd, quoted: false))
            }
            if cursor >= end {
                position = end
                return rowLine
            }
            if base[cursor] == 0x0A {
                position = cursor + 1
                line += 1
                return rowLine
            }
            cursor += 1  // the delimiter
            if cursor == end {
                // A trailing delimiter at the very end: one more, empty field.
                fields.append(FieldSpan(start: cursor, end: cursor, quoted: false))
                position = end
                return rowLine
            }
        }
    }

    /// The text of a field, with doubled quotes unescaped.
    func text(of field: FieldSpan) -> String {
        let raw = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end]), as: UTF8.self)
        return field.quoted ? raw.replacingDoubledQuotes() : raw
    }
}

extension String {
    fileprivate func replacingDoubledQuotes() -> String {
        var result = ""
        var previousWasQuote = false
        for character in self {
            if character == "\"" && previousWasQuote {
                previousWasQuote = false
                continue
            }
            previousWasQuote = character == "\""
            result.append(character)
        }
        return result
    }
}
