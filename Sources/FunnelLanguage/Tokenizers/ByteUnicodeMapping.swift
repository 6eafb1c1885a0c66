/// The GPT-2 byte-level alphabet: every one of the 256 byte values stands for one printable
/// Unicode scalar, so that a byte-level BPE vocabulary can be written as ordinary strings.
///
/// Bytes that are already printable and not a space (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for
/// themselves; the remaining 68 bytes (controls, space, DEL, the C1 range, the soft hyphen)
/// take the scalars U+0100, U+0101, … in increasing byte order. So the space byte 0x20 is
/// written `Ġ` (U+0120) and the newline 0x0A is `Ċ` (U+010A).
public enum ByteUnicodeMapping {
    /// The scalar that stands for each byte, indexed by the byte.
    public static let scalarForByte: [Unicode.Scalar] = {
        var scalars = [Unicode.Scalar](repeating: " ", count: 256)
        var nextShifted: UInt32 = 256
        for byte in 0..<256 {
            let standsForItself = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            let value = standsForItself ? UInt32(byte) : nextShifted
            if !standsForItself { nextShifted += 1 }
            // Every value here is below U+0144, so the scalar always exists.
            scalars[byte] = Unicode.Scalar(value) ?? " "
        }
        return scalars
    }()

    /// The byte each alphabet scalar stands for, keyed by the scalar's value.
    public static let byteForScalar: [UInt32: UInt8] = {
        var bytes: [UInt32: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() {
            bytes[scalar.value] = UInt8(byte)
        }
        return bytes
    }()

    /// The alphabet string for a byte sequence (what the vocabulary stores).
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var text = String.UnicodeScalarView()
        for byte in bytes {
            text.append(scalarForByte[Int(byte)])
        }
        return String(text)
    }

    /// The bytes an alphabet string stands for, or nil if it holds a scalar outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = byteForScalar[scalar.value] else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
