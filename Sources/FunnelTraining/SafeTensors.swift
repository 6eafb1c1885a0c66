import Foundation

/// The safetensors file format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header naming every tensor's dtype, shape and byte range, then the raw little-endian data.
/// PyTorch reads these files with `safetensors.torch.load_file`.
public enum SafeTensors {
    public enum Values: Equatable, Sendable {
        case float32([Float])
        case int64([Int64])

        var dtype: String {
            switch self {
            case .float32: return "F32"
            case .int64: return "I64"
            }
        }

        var byteCount: Int {
            switch self {
            case .float32(let values): return values.count * 4
            case .int64(let values): return values.count * 8
            }
        }
    }

    public struct Entry: Equatable, Sendable {
        public var shape: [Int]
        public var values: Values

        public init(shape: [Int], values: Values) {
            self.shape = shape
            self.values = values
        }
    }

    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The bytes of a file holding `entries` (in name order) and string metadata.
    public static func encode(_ entries: [String: Entry], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = entries.keys.sorted()
        for name in names {
            let entry = entries[name]!
            header[name] = ["dtype": entry.values.dtype, "shape": entry.shape, "data_offsets": [offset, offset + entry.values.byteCount]]
            offset += entry.values.byteCount
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // the format pads the header with spaces
        var data = Data()
        data.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            switch entries[name]!.values {
            case .float32(let values): values.withUnsafeBytes { data.append(contentsOf: $0) }
            case .int64(let values): values.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    /// Reads a file's entries, checking every byte range (a truncated file is refused).
    public static func decode(_ data: Data, file: String) throws -> (entries: [String: Entry], metadata: [String: String]) {
        func refuse(_ reason: String) -> FormatError { FormatError(description: "\(file): not a valid safetensors file: \(reason)") }
        guard data.count >= 8 else { throw refuse("\(data.count) bytes, shorter than the 8-byte header length (truncated?)") }
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard headerLength > 0, 8 + headerLength <= data.count else {
            throw refuse("the header claims \(headerLength) bytes but the file has \(data.count) (truncated?)")
        }
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + headerLength)) as? [String: Any] else {
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
                let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else { throw refuse("entry '\(name)' is malformed") }
            let (start, end) = (body + offsets[0], body + offsets[1])
            guard start <= end, end <= data.count else {
                throw refuse("entry '\(name)' ends at byte \(end) but the file has \(data.count) (truncated?)")
            }
            let count = shape.reduce(1, *)
            let bytes = data.subdata(in: start..<end)
            switch dtype {
            case "F32":
                guard bytes.count == count * 4 else { throw refuse("entry '\(name)' has \(bytes.count) bytes for shape \(shape)") }
                entries[name] = Entry(shape: shape, values: .float32(bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }))
            case "I64":
                guard bytes.count == count * 8 else { throw refuse("entry '\(name)' has \(bytes.count) bytes for shape \(shape)") }
                entries[name] = Entry(shape: shape, values: .int64(bytes.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }))
            default:
                throw refuse("entry '\(name)' has dtype \(dtype); Funnel reads F32 and I64")
            }
        }
        return (entries, metadata)
    }
}
