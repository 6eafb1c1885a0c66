import Foundation

/// A bounds-checked little-endian cursor over a GGUF file's bytes (ggml `docs/gguf.md`: all
/// values are little-endian; a string is a `uint64` byte length then UTF-8 bytes without a
/// terminator; an array is a `uint32` element type, a `uint64` count, then the elements).
///
/// Every read names the field it reads, so a file that ends early, or claims a string or an
/// array longer than what is left, is refused with a ``LanguageFileError`` giving the file,
/// that field and the byte offset where it starts.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset = 0

    /// Arrays nested deeper than this are refused (the spec allows nesting but no file needs
    /// more than one level; the limit keeps a crafted file from exhausting the stack).
    static let maximumArrayDepth = 8

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    func error(_ field: String, at location: Int? = nil, _ reason: String) -> LanguageFileError {
        LanguageFileError(file: file, field: field, location: .byte(location ?? offset), reason: reason)
    }

    /// Moves the cursor to `position` (the start of the data section, at most the file length).
    mutating func seek(to position: Int) {
        offset = min(max(position, 0), bytes.count)
    }

    private func require(_ count: Int, _ field: String, what: String) throws {
        guard count <= remaining else {
            throw error(field, "the file ends after \(remaining) of the \(count) bytes of \(what) (file length \(bytes.count))")
        }
    }

    mutating func integer<Value: FixedWidthInteger>(_ type: Value.Type, _ field: String) throws -> Value {
        let size = MemoryLayout<Value>.size
        try require(size, field, what: "a \(size * 8)-bit integer")
        let value = Value(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Value.self))
        offset += size
        return value
    }

    /// A `uint64` count or length, refused when above `Int.max`.
    mutating func count(_ field: String) throws -> Int {
        let start = offset
        let value = try integer(UInt64.self, field)
        guard let count = Int(exactly: value) else { throw error(field, at: start, "\(value) does not fit a signed 64-bit count") }
        return count
    }

    mutating func string(_ field: String) throws -> String {
        let start = offset
        let length = try count(field)
        guard length <= remaining else {
            throw error(field, at: start, "a string of \(length) bytes runs past the end of the file (\(remaining) bytes left)")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        guard let value = String(bytes: slice, encoding: .utf8) else {
            throw error(field, at: start, "a string of \(length) bytes that is not UTF-8")
        }
        offset += length
        return value
    }

    mutating func valueType(_ field: String) throws -> GGUFValueType {
        let start = offset
        let raw = try integer(UInt32.self, field)
        guard let type = GGUFValueType(rawValue: raw) else {
            throw error(field, at: start, "value type \(raw); expected 0…12 (uint8 … float64)")
        }
        return type
    }

    /// A value of `type`; an array's elements are named `field[i]`.
    mutating func value(of type: GGUFValueType, _ field: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try integer(UInt8.self, field))
        case .int8: return .int8(try integer(Int8.self, field))
        case .uint16: return .uint16(try integer(UInt16.self, field))
        case .int16: return .int16(try integer(Int16.self, field))
        case .uint32: return .uint32(try integer(UInt32.self, field))
        case .int32: return .int32(try integer(Int32.self, field))
        case .uint64: return .uint64(try integer(UInt64.self, field))
        case .int64: return .int64(try integer(Int64.self, field))
        case .float32: return .float32(Float(bitPattern: try integer(UInt32.self, field)))
        case .float64: return .float64(Double(bitPattern: try integer(UInt64.self, field)))
        case .bool:
            let start = offset
            let raw = try integer(UInt8.self, field)
            guard raw <= 1 else { throw error(field, at: start, "bool byte \(raw); expected 0 or 1") }
            return .bool(raw == 1)
        case .string: return .string(try string(field))
        case .array: return try array(field, depth: depth)
        }
    }

    private mutating func array(_ field: String, depth: Int) throws -> GGUFValue {
        let start = offset
        guard depth < Self.maximumArrayDepth else {
            throw error(field, at: start, "arrays nested more than \(Self.maximumArrayDepth) deep")
        }
        let elementType = try valueType(field + ".type")
        let countStart = offset
        let count = try count(field + ".count")
        // Refuse before allocating: each element takes at least this many bytes.
        let (minimumBytes, overflow) = count.multipliedReportingOverflow(by: elementType.minimumByteCount)
        guard !overflow, minimumBytes <= remaining else {
            throw error(field + ".count", at: countStart, "\(count) \(elementType) values cannot fit in the \(remaining) bytes left")
        }
        var values: [GGUFValue] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            do {
                values.append(try value(of: elementType, field, depth: depth + 1))
            } catch var failure as LanguageFileError {
                // Named only on failure: building `field[i]` for each of 49 152 tokens is costly.
                if failure.field.hasPrefix(field) {
                    failure.field = "\(field)[\(index)]" + failure.field.dropFirst(field.count)
                }
                throw failure
            }
        }
        return .array(elementType: elementType, values: values)
    }
}
