import Foundation

/// The safetensors file format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header naming every tensor's dtype, shape and byte range, then the raw little-endian data.
/// PyTorch reads these files with `safetensors.torch.load_file`.
///
/// Writing stores `F32` and `I64`. Reading also accepts `F16` and `BF16`, converted exactly to
/// ``Values/float32(_:)``, and `I32`, widened to ``Values/int64(_:)``; any other dtype is
/// refused with the file and the entry named. A module's parameters load and save through
/// `Module.loadParameters(from:)` and `Module.saveParameters(to:metadata:)`.
public enum SafeTensors {
    /// The values of one tensor, flat in row-major order.
    public enum Values: Equatable, Sendable {
        /// Written as `F32`; read from `F32`, `F16` or `BF16`.
        case float32([Float])
        /// Written as `I64`; read from `I64` or `I32`.
        case int64([Int64])

        var dtype: String {
            switch self {
            case .float32: return "F32"
            case .int64: return "I64"
            }
        }

        /// The number of values.
        public var count: Int {
            switch self {
            case .float32(let values): values.count
            case .int64(let values): values.count
            }
        }

        var byteCount: Int {
            switch self {
            case .float32(let values): return values.count * 4
            case .int64(let values): return values.count * 8
            }
        }
    }

    /// One named tensor of a file: its shape and its values.
    public struct Entry: Equatable, Sendable {
        public var shape: [Int]
        public var values: Values

        public init(shape: [Int], values: Values) {
            self.shape = shape
            self.values = values
        }
    }

    /// A file that cannot be read or written, or is not a valid safetensors file; names the file.
    public struct FormatError: Error, CustomStringConvertible {
        public var file: String
        public var reason: String
        /// The file system's error behind a failed write (a full disk, a read-only folder), for
        /// callers that word it for people.
        public var cause: (any Error)?

        public init(file: String, reason: String, cause: (any Error)? = nil) {
            self.file = file
            self.reason = reason
            self.cause = cause
        }

        public var description: String { "\(file): \(reason)" }
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
        append([UInt64(json.count)], to: &data)
        data.append(json)
        for name in names {
            switch entries[name]!.values {
            case .float32(let values): append(values.map(\.bitPattern), to: &data)
            case .int64(let values): append(values, to: &data)
            }
        }
        return data
    }

    /// Appends the little-endian bytes of `values`.
    private static func append<Integer: FixedWidthInteger>(_ values: [Integer], to data: inout Data) {
        values.map(\.littleEndian).withUnsafeBytes { data.append(contentsOf: $0) }
    }

    /// Reads and decodes a file (see ``decode(_:file:)``).
    public static func read(file: String) throws -> (entries: [String: Entry], metadata: [String: String]) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw FormatError(file: file, reason: "cannot be read: \(error.localizedDescription)")
        }
        return try decode(data, file: file)
    }
}
