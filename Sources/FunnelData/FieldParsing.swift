#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Number and token parsing straight from a file's bytes.
///
/// Decimal numbers with up to 19 significant digits and exponents within ±22 are converted
/// exactly in Double and then rounded once to Float; anything else (more digits, `inf`, `nan`,
/// hexadecimal) goes through `strtod`, so every value `strtod` accepts is accepted.
enum FieldParsing {
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The number in `bytes[start..<end]`, or `nil` if the whole range is not a number.
    static func double(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        let (start, end) = trimmed(base, start, end)
        var cursor = start
        guard cursor < end else { return nil }
        var negative = false
        if base[cursor] == 0x2D || base[cursor] == 0x2B {  // - +
            negative = base[cursor] == 0x2D
            cursor += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        var truncated = false
        while cursor < end, base[cursor] &- 0x30 < 10 {
            if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(base[cursor] &- 0x30)
                if mantissa != 0 { digits += 1 }
            } else {
                exponent += 1
                truncated = true
            }
            sawDigit = true
            cursor += 1
        }
        if cursor < end && base[cursor] == 0x2E {  // .
            cursor += 1
            while cursor < end, base[cursor] &- 0x30 < 10 {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(base[cursor] &- 0x30)
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                } else {
                    truncated = true
                }
                sawDigit = true
                cursor += 1
            }
        }
        guard sawDigit else { return slowDouble(base, start, end) }
        if cursor < end && (base[cursor] == 0x65 || base[cursor] == 0x45) {  // e E
            cursor += 1
            var exponentNegative = false
            if cursor < end && (base[cursor] == 0x2D || base[cursor] == 0x2B) {
                exponentNegative = base[cursor] == 0x2D
                cursor += 1
            }
            var written = 0
            var sawExponentDigit = false
            while cursor < end, base[cursor] &- 0x30 < 10 {
                if written < 10_000 { written = written * 10 + Int(base[cursor] &- 0x30) }
                sawExponentDigit = true
                cursor += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard cursor == end else { return nil }
        // Exact only while the mantissa and the power of ten are both exact Doubles.
        guard !truncated, mantissa < (1 << 53), Swift.abs(exponent) <= 22 else {
            return slowDouble(base, start, end)
        }
        var value = Double(mantissa)
        value = exponent >= 0 ? value * powersOfTen[exponent] : value / powersOfTen[-exponent]
        return negative ? -value : value
    }

    private static func slowDouble(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        let length = end - start
        guard length > 0, length < 512 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for index in 0..<length { buffer[index] = CChar(bitPattern: base[start + index]) }
            buffer[length] = 0
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &endPointer)
            guard let endPointer, endPointer == buffer.baseAddress! + length else { return nil }
            return value
        }
    }

    /// The integer in `bytes[start..<end]` (optional sign, decimal digits), or `nil`.
    static func integer(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        let (start, end) = trimmed(base, start, end)
        var cursor = start
        guard cursor < end else { return nil }
        var negative = false
        if base[cursor] == 0x2D || base[cursor] == 0x2B {
            negative = base[cursor] == 0x2D
            cursor += 1
        }
        guard cursor < end else { return nil }
        var value: Int64 = 0
        while cursor < end {
            let digit = base[cursor] &- 0x30
            guard digit < 10 else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (added, overflowAdding) = shifted.addingReportingOverflow(Int64(digit))
            guard !overflow, !overflowAdding else { return nil }
            value = added
            cursor += 1
        }
        return negative ? -value : value
    }

    /// The range without surrounding spaces and tabs ("1, 2, 3" is common in hand-written CSV).
    private static func trimmed(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> (Int, Int) {
        var start = start
        var end = end
        while start < end && (base[start] == 0x20 || base[start] == 0x09) { start += 1 }
        while end > start && (base[end - 1] == 0x20 || base[end - 1] == 0x09) { end -= 1 }
        return (start, end)
    }

    /// A 64-bit hash of a token's bytes (FNV-1a followed by a final mix), stable across runs
    /// and machines: the key of built and hashed vocabularies.
    static func hash(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for index in start..<end {
            hash = (hash ^ UInt64(base[index])) &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        return hash
    }
}
