extension Float {
    /// The IEEE binary16 value with bit pattern `bits` (1 sign, 5 exponent, 10 mantissa bits),
    /// exactly: every binary16 value — subnormals, infinities and NaNs (payload kept) included —
    /// is a binary32 value. Written out rather than through `Float16`, which macOS on Intel
    /// lacks. Used by the safetensors reader (`F16`) and the GGUF dequantisers (block scales).
    @inline(__always)
    public init(halfPrecisionBits bits: UInt16) {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2⁻²⁴, exact in binary32.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign == 0 ? magnitude : -magnitude
        case 0x1F:
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            self = Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }
}
