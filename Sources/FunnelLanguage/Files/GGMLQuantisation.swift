import FunnelTensor

/// Dequantisation of the ggml tensor types Funnel reads, with the block layouts of ggml's
/// `ggml-common.h` as `docs/gguf.md` refers to them. All multi-byte fields are little-endian;
/// a block's elements are consecutive along `ne[0]`, the fastest-varying axis, so a row of
/// `ne[0]` elements is `ne[0] / blockLength` consecutive blocks.
///
/// | type | block | bytes | layout                                  | element `i`                     |
/// |------|-------|-------|-----------------------------------------|---------------------------------|
/// | F32  | 1     | 4     | IEEE binary32                           | the value                       |
/// | F16  | 1     | 2     | IEEE binary16                           | the value                       |
/// | BF16 | 1     | 2     | the high 16 bits of a binary32          | the value                       |
/// | Q4_0 | 32    | 18    | `d: f16`, `qs: 16 × u8`                 | `(q − 8) · d`                   |
/// | Q4_1 | 32    | 20    | `d: f16`, `m: f16`, `qs: 16 × u8`       | `q · d + m`                     |
/// | Q8_0 | 32    | 34    | `d: f16`, `qs: 32 × i8`                 | `q · d`                         |
///
/// In Q4_0 and Q4_1, `q` of elements 0…15 is the low nibble of `qs[i]` and of elements
/// 16…31 the high nibble of `qs[i − 16]`.
///
/// This is the one place that parses blocks: ``GGUFFile/floats(_:)`` and the row-range fast
/// path ``GGUFFile/dequantiseRows(_:rows:into:)`` both call ``dequantise(_:from:count:into:)``.
public enum GGMLQuantisation {
    /// The types that can be dequantised, in the order refusals list them.
    public static let supportedTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0]

    /// Whether ``dequantise(_:from:count:into:)`` accepts `type`.
    public static func canDequantise(_ type: GGMLType) -> Bool {
        supportedTypes.contains(type)
    }

    /// `F32, F16, BF16, Q4_0, Q4_1 or Q8_0`, for refusals.
    public static var supportedTypeList: String {
        let names = supportedTypes.map(\.name)
        return names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }

    /// Dequantises `count` elements stored as `type` at `source` into `destination`.
    ///
    /// - Precondition: `type` is one of ``supportedTypes``; `count` is a whole number of
    ///   blocks; `source` holds `type.byteCount(elementCount: count)` bytes (no alignment is
    ///   needed) and `destination` room for `count` floats. ``GGUFFile`` checks all three
    ///   against the file before calling.
    public static func dequantise(
        _ type: GGMLType, from source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        switch type {
        case .f32:
            for index in 0..<count {
                destination[index] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
            }
        case .f16:
            for index in 0..<count {
                destination[index] = Float(halfPrecisionBits: halfBits(source, 2 * index))
            }
        case .bf16:
            for index in 0..<count {
                destination[index] = Float(bitPattern: UInt32(halfBits(source, 2 * index)) << 16)
            }
        case .q4_0:
            dequantiseNibbleBlocks(from: source, blockCount: count / 32, blockByteCount: 18, into: destination) { block in
                let scale = Float(halfPrecisionBits: halfBits(block, 0))
                return (scale, -8 * scale, 2)
            }
        case .q4_1:
            dequantiseNibbleBlocks(from: source, blockCount: count / 32, blockByteCount: 20, into: destination) { block in
                (Float(halfPrecisionBits: halfBits(block, 0)), Float(halfPrecisionBits: halfBits(block, 2)), 4)
            }
        case .q8_0:
            for block in 0..<(count / 32) {
                let base = source + 34 * block
                let scale = Float(halfPrecisionBits: halfBits(base, 0))
                let output = destination + 32 * block
                for index in 0..<32 {
                    output[index] = Float(Int8(bitPattern: base.load(fromByteOffset: 2 + index, as: UInt8.self))) * scale
                }
            }
        default:
            preconditionFailure("GGMLQuantisation.dequantise: \(type) is not dequantisable; check canDequantise first")
        }
    }

    /// Q4_0 and Q4_1: each block gives (scale, offset, byte offset of `qs`) and element `i`
    /// is `q · scale + offset` (Q4_0's `(q − 8) · d` is `q · d − 8d`).
    @inline(__always)
    private static func dequantiseNibbleBlocks(
        from source: UnsafeRawPointer, blockCount: Int, blockByteCount: Int, into destination: UnsafeMutablePointer<Float>,
        header: (UnsafeRawPointer) -> (scale: Float, offset: Float, quantsStart: Int)
    ) {
        for block in 0..<blockCount {
            let base = source + blockByteCount * block
            let (scale, offset, quantsStart) = header(base)
            let output = destination + 32 * block
            for index in 0..<16 {
                let byte = base.load(fromByteOffset: quantsStart + index, as: UInt8.self)
                output[index] = Float(byte & 0x0F) * scale + offset
                output[index + 16] = Float(byte >> 4) * scale + offset
            }
        }
    }

    @inline(__always)
    private static func halfBits(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
