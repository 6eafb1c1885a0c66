import Foundation

extension SafeTensors {
    /// Reads a file's entries and metadata, checking every byte range (a truncated file is
    /// refused). `F16` and `BF16` become exact `Float`s, `I32` becomes `Int64`.
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - file: the file's name, for errors.
    public static func decode(_ data: Data, file: String) throws -> (entries: [String: Entry], metadata: [String: String]) {
        func refuse(_ reason: String) -> FormatError {
            FormatError(file: file, reason: "not a valid safetensors file: " + reason)
        }
        guard data.count >= 8 else { throw refuse("\(data.count) bytes, shorter than the 8-byte header length (truncated?)") }
        let claimed = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard claimed > 0, claimed <= UInt64(data.count - 8) else {
            throw refuse("the header claims \(claimed) bytes but the file has \(data.count) (truncated?)")
        }
        let headerLength = Int(claimed)
        let start = data.startIndex
        guard let header = try? JSONSerialization.jsonObject(with: data[start + 8..<start + 8 + headerLength]) as? [String: Any] else {
            throw refuse("the header is not a JSON object")
        }
        let body = 8 + headerLength
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                let shape = fields["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }),
                let offsets = fields["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0
            else { throw refuse("entry '\(name)' is malformed") }
            guard let width = byteWidth(dtype) else {
                throw refuse("entry '\(name)' has dtype \(dtype); Funnel reads F32, F16, BF16, I32 and I64")
            }
            guard offsets[0] <= offsets[1] else { throw refuse("entry '\(name)' ends before it starts") }
            guard offsets[1] <= data.count - body else {
                throw refuse("entry '\(name)' ends at byte \(body + offsets[1]) but the file has \(data.count) (truncated?)")
            }
            let (first, end) = (body + offsets[0], body + offsets[1])
            // Counted without overflow: a shape claiming more values than the file has bytes is refused.
            let count = shape.reduce(1) { product, dimension in
                let (value, overflow) = product.multipliedReportingOverflow(by: dimension)
                return overflow ? Int.max : value
            }
            guard count <= data.count, end - first == count * width else {
                throw refuse("entry '\(name)' has \(end - first) bytes for shape \(shape) of \(dtype)")
            }
            let values = data[start + first..<start + end].withUnsafeBytes { bytes in
                convert(bytes, dtype: dtype)
            }
            entries[name] = Entry(shape: shape, values: values)
        }
        return (entries, metadata)
    }

    /// The bytes per value of a dtype Funnel reads, `nil` for the others.
    private static func byteWidth(_ dtype: String) -> Int? {
        switch dtype {
        case "F32", "I32": return 4
        case "F16", "BF16": return 2
        case "I64": return 8
        default: return nil
        }
    }

    /// The values of raw little-endian bytes of a dtype ``byteWidth(_:)`` knows.
    private static func convert(_ bytes: UnsafeRawBufferPointer, dtype: String) -> Values {
        switch dtype {
        case "F32": return .float32(integers(bytes, as: UInt32.self).map(Float.init(bitPattern:)))
        case "F16": return .float32(integers(bytes, as: UInt16.self).map { Float(halfPrecisionBits: $0) })
        case "BF16": return .float32(integers(bytes, as: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) })
        case "I32": return .int64(integers(bytes, as: Int32.self).map(Int64.init))
        default: return .int64(integers(bytes, as: Int64.self))
        }
    }

    /// Little-endian integers read from unaligned bytes.
    private static func integers<Integer: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, as: Integer.Type) -> [Integer] {
        let count = bytes.count / MemoryLayout<Integer>.size
        return [Integer](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = bytes.baseAddress, count > 0 {
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: count * MemoryLayout<Integer>.size)
            }
            for index in 0..<count { buffer[index] = Integer(littleEndian: buffer[index]) }
            initialized = count
        }
    }
}
