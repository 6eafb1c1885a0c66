import Foundation

/// One canonical table (a split or a side table) built in memory as CSV and then written in one
/// atomic step.
///
/// The header holds the columns' names; fields are appended left to right and `endRow()`
/// checks that the row is complete. A field holding a comma, a quote or a line break is quoted
/// (RFC 4180), as the loader's scanner expects. Label fields are counted as they are written,
/// positive when above 0 (``DatasetSummary``'s rule), for the ``ConversionReport``.
///
/// The bytes live in plain memory so that appending a field is one copy even in a debug build;
/// copies of a writer share that memory, so keep one writer per table.
struct CanonicalTableWriter {
    /// The split's or side table's name.
    let name: String
    /// The file name inside the output folder.
    let file: String
    /// The columns, in file order.
    let columns: [ColumnSchema]
    private(set) var rowCount = 0
    private var field = 0
    private var storage = Storage(capacity: 1 << 16)
    private var count = 0
    private var positives: [Int]
    private var missing: [Int]
    private let isLabel: [Bool]

    init(name: String, file: String? = nil, columns: [ColumnSchema]) {
        self.name = name
        self.file = file ?? name + ".csv"
        self.columns = columns
        positives = Array(repeating: 0, count: columns.count)
        missing = Array(repeating: 0, count: columns.count)
        isLabel = columns.map { $0.kind == .label }
        for column in columns { append(column.name) }
        storage.pointer[count - 1] = 0x0A  // the last field's delimiter
        field = 0
    }

    /// Appends a text field.
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(utf8: $0) }
    }

    /// Appends a number (integers without a fraction, others in their shortest exact form).
    mutating func append(_ value: Double) {
        if isLabel[field] && value > 0 { positives[field] += 1 }
        let text =
            value == value.rounded() && Swift.abs(value) < 1e15
            ? String(Int64(value)) : String(value)
        appendPlain(text)
    }

    /// Appends an integer.
    mutating func append(_ value: Int64) {
        if isLabel[field] && value > 0 { positives[field] += 1 }
        appendPlain(String(value))
    }

    /// Appends an empty (missing) field.
    mutating func appendEmpty() {
        if isLabel[field] { missing[field] += 1 }
        appendByte(0x2C)
        field += 1
    }

    /// Appends field `index` of a source row as it is (trimmed; quotes unescaped and re-applied).
    mutating func append(_ row: SourceRow, _ index: Int) {
        if row.fields[index].quoted && row.hasEscapedQuotes(index) {
            append(row.text(index))
            return
        }
        let range = row.range(index)
        append(utf8: UnsafeBufferPointer(start: row.base + range.lowerBound, count: range.count))
    }

    /// Appends the UTF-8 bytes of a field.
    mutating func append(utf8 text: UnsafeBufferPointer<UInt8>) {
        guard !text.isEmpty else {
            appendEmpty()
            return
        }
        if isLabel[field], let base = text.baseAddress,
            let value = FieldParsing.double(base, 0, text.count), value > 0
        {
            positives[field] += 1
        }
        let base = text.baseAddress!
        let special =
            memchr(base, 0x2C, text.count) != nil || memchr(base, 0x22, text.count) != nil
            || memchr(base, 0x0A, text.count) != nil || memchr(base, 0x0D, text.count) != nil
        if special {
            appendByte(0x22)
            for byte in text {
                appendByte(byte)
                if byte == 0x22 { appendByte(0x22) }
            }
            appendByte(0x22)
        } else {
            appendBytes(base, text.count)
        }
        appendByte(0x2C)
        field += 1
    }

    private mutating func appendPlain(_ text: String) {
        var text = text
        text.withUTF8 { if let base = $0.baseAddress { appendBytes(base, $0.count) } }
        appendByte(0x2C)
        field += 1
    }

    private mutating func reserve(_ extra: Int) {
        guard count + extra > storage.capacity else { return }
        var capacity = storage.capacity * 2
        while capacity < count + extra { capacity *= 2 }
        let grown = Storage(capacity: capacity)
        grown.pointer.update(from: storage.pointer, count: count)
        storage = grown
    }

    private mutating func appendByte(_ byte: UInt8) {
        if count == storage.capacity { reserve(1) }
        storage.pointer[count] = byte
        count += 1
    }

    private mutating func appendBytes(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
        reserve(length)
        (storage.pointer + count).update(from: bytes, count: length)
        count += length
    }

    /// Ends the current row; it must hold one field per column.
    mutating func endRow() {
        precondition(
            field == columns.count,
            "Funnel: row \(rowCount + 1) of '\(name)' has \(field) of \(columns.count) fields")
        storage.pointer[count - 1] = 0x0A
        field = 0
        rowCount += 1
    }

    /// The rows and label counts written so far.
    var counts: ConversionReport.TableCount {
        let labels = columns.indices.filter { isLabel[$0] }.map { index in
            ConversionReport.LabelCount(
                name: columns[index].name, positives: positives[index], missing: missing[index],
                rate: rowCount == 0 ? 0 : Double(positives[index]) / Double(rowCount))
        }
        return ConversionReport.TableCount(name: name, file: file, rows: rowCount, labels: labels)
    }

    /// Writes the table to `path` through a temporary file and a rename.
    func write(to path: String) throws {
        precondition(field == 0, "Funnel: the last row of '\(name)' was not ended")
        try AtomicFile.write(
            Data(bytesNoCopy: storage.pointer, count: count, deallocator: .none), to: path)
    }

    /// Memory for the bytes, freed with the last writer using it.
    private final class Storage {
        let pointer: UnsafeMutablePointer<UInt8>
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            pointer = .allocate(capacity: capacity)
        }

        deinit {
            pointer.deallocate()
        }
    }
}
