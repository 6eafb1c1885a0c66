import Foundation

/// One row of a ``SourceTable``: typed access to its fields, with surrounding spaces removed.
/// Valid only while the ``SourceTable/forEachRow(_:)`` call that made it runs.
struct SourceRow {
    /// What every row of a file shares (one reference, so that passing a row is cheap).
    final class Context {
        let path: String
        let header: [String]

        init(path: String, header: [String]) {
            self.path = path
            self.header = header
        }
    }

    let context: Context
    /// The 1-based line the row starts on.
    let line: Int
    let base: UnsafePointer<UInt8>
    let fields: UnsafeBufferPointer<FieldSpan>

    /// The byte range of field `index` without surrounding spaces and tabs.
    func range(_ index: Int) -> Range<Int> {
        fields[index].start..<fields[index].end
    }

    /// Whether field `index` is empty (or only spaces).
    func isEmpty(_ index: Int) -> Bool {
        range(index).isEmpty
    }

    /// Whether field `index` needs its doubled quotes unescaped before use.
    func hasEscapedQuotes(_ index: Int) -> Bool {
        fields[index].quoted && range(index).contains { base[$0] == 0x22 }
    }

    /// The text of field `index`, trimmed, with doubled quotes unescaped.
    func text(_ index: Int) -> String {
        let range = range(index)
        let raw = String(
            decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count),
            as: UTF8.self)
        return hasEscapedQuotes(index) ? raw.replacingOccurrences(of: "\"\"", with: "\"") : raw
    }

    /// Whether field `index` is exactly `text`.
    func equals(_ index: Int, _ text: StaticString) -> Bool {
        let range = range(index)
        return range.count == text.utf8CodeUnitCount
            && memcmp(base + range.lowerBound, text.utf8Start, range.count) == 0
    }

    /// The number in field `index`, or an error naming the field.
    func double(_ index: Int) throws -> Double {
        let range = range(index)
        guard let value = FieldParsing.double(base, range.lowerBound, range.upperBound),
            !value.isNaN
        else {
            throw failure(index, expected: "a number")
        }
        return value
    }

    /// The integer in field `index`, or an error naming the field.
    func integer(_ index: Int) throws -> Int64 {
        let range = range(index)
        guard let value = FieldParsing.integer(base, range.lowerBound, range.upperBound) else {
            throw failure(index, expected: "an integer")
        }
        return value
    }

    /// A non-negative integer id in field `index`.
    func identifier(_ index: Int) throws -> Int64 {
        let value = try integer(index)
        guard value >= 0 else { throw failure(index, expected: "a non-negative integer id") }
        return value
    }

    /// The location of field `index`.
    func location(_ index: Int) -> FileLocation {
        let name = context.header[index]
        return FileLocation(
            file: context.path, line: line, column: index + 1, columnName: name.isEmpty ? nil : name
        )
    }

    /// ``DataError/badValue(_:found:expected:)`` for field `index`.
    func failure(_ index: Int, expected: String) -> DataError {
        let range = range(index)
        let found = String(
            decoding: UnsafeBufferPointer(
                start: base + range.lowerBound, count: Swift.min(range.count, 80)), as: UTF8.self)
        return DataError.badValue(location(index), found: found, expected: expected)
    }
}
