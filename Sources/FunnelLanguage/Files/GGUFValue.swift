/// The type tag of a GGUF metadata value (`gguf_metadata_value_type` in ggml's
/// `docs/gguf.md`): a little-endian `uint32` written before every value, and before the
/// elements of an array.
public enum GGUFValueType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// The spec's lower-case name, e.g. `uint32` or `string`.
    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .uint16: "uint16"
        case .int16: "int16"
        case .uint32: "uint32"
        case .int32: "int32"
        case .float32: "float32"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        case .uint64: "uint64"
        case .int64: "int64"
        case .float64: "float64"
        }
    }

    /// The fewest bytes one value of this type takes in the file: its size for a scalar, the
    /// `uint64` length of a string, the `uint32` type and `uint64` count of an array. Used to
    /// refuse an array count that cannot fit in what is left of the file before allocating.
    var minimumByteCount: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}

/// One GGUF metadata value (ggml `docs/gguf.md`, `gguf_metadata_value_t`): a scalar of one of
/// the twelve scalar types, a UTF-8 string, or an array whose elements all share one type
/// (arrays may nest). The element type of an array is kept so that an empty array still says
/// what it would hold.
public enum GGUFValue: Sendable, Equatable, CustomStringConvertible {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case array(elementType: GGUFValueType, values: [GGUFValue])

    /// The value's type tag.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The type as the refusals name it: `uint32`, or `array of string`.
    public var typeDescription: String {
        if case .array(let elementType, let values) = self {
            let nested = values.first.map(\.typeDescription) ?? elementType.description
            return "array of \(nested)"
        }
        return type.description
    }

    /// Any integer type whose value fits `Int`; `nil` for other types (a `uint64` above
    /// `Int.max` included).
    public var intValue: Int? {
        switch self {
        case .uint8(let value): Int(value)
        case .int8(let value): Int(value)
        case .uint16(let value): Int(value)
        case .int16(let value): Int(value)
        case .uint32(let value): Int(value)
        case .int32(let value): Int(value)
        case .uint64(let value): Int(exactly: value)
        case .int64(let value): Int(value)
        default: nil
        }
    }

    /// A `float32`, or a `float64` narrowed to `Float`; `nil` for other types.
    public var floatValue: Float? {
        switch self {
        case .float32(let value): value
        case .float64(let value): Float(value)
        default: nil
        }
    }

    /// A `float32` widened to `Double`, or a `float64`; `nil` for other types.
    public var doubleValue: Double? {
        switch self {
        case .float32(let value): Double(value)
        case .float64(let value): value
        default: nil
        }
    }

    /// A `bool`; `nil` for other types.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// A `string`; `nil` for other types.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements of an `array`; `nil` for other types.
    public var arrayValues: [GGUFValue]? {
        if case .array(_, let values) = self { return values }
        return nil
    }

    public var description: String {
        switch self {
        case .uint8(let value): "\(value)"
        case .int8(let value): "\(value)"
        case .uint16(let value): "\(value)"
        case .int16(let value): "\(value)"
        case .uint32(let value): "\(value)"
        case .int32(let value): "\(value)"
        case .uint64(let value): "\(value)"
        case .int64(let value): "\(value)"
        case .float32(let value): "\(value)"
        case .float64(let value): "\(value)"
        case .bool(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(_, let values):
            values.count <= 8
                ? "[" + values.map(\.description).joined(separator: ", ") + "]"
                : "[" + values.prefix(8).map(\.description).joined(separator: ", ") + ", … (\(values.count) values)]"
        }
    }
}
