/// A set of Unicode scalar values as sorted, disjoint, non-adjacent closed ranges, and its
/// translation into UTF-8 byte-range sequences for a byte-level automaton.
///
/// Surrogates (U+D800–U+DFFF) are never members: they are not scalars and have no UTF-8
/// form, so a complement ("any scalar not listed") covers exactly the valid UTF-8 scalars.
struct ScalarSet: Equatable, Sendable {
    /// The largest scalar value.
    static let maximumScalar: UInt32 = 0x10FFFF

    /// The member ranges, sorted and merged.
    private(set) var ranges: [ClosedRange<UInt32>]

    /// The set of the given ranges (in any order, possibly overlapping; surrogates removed).
    init(_ ranges: [ClosedRange<UInt32>] = []) {
        self.ranges = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let clamped = range.lowerBound...min(range.upperBound, Self.maximumScalar)
            guard clamped.lowerBound <= clamped.upperBound else { continue }
            if let last = self.ranges.last, clamped.lowerBound <= last.upperBound &+ 1 {
                self.ranges[self.ranges.count - 1] =
                    last.lowerBound...max(last.upperBound, clamped.upperBound)
            } else {
                self.ranges.append(clamped)
            }
        }
        self.ranges = self.ranges.flatMap { Self.removingSurrogates($0) }
    }

    /// The set of one scalar.
    init(scalar: Unicode.Scalar) {
        self.init([scalar.value...scalar.value])
    }

    /// The set of the given ASCII characters and ranges, e.g. `ascii("az", "AZ", "__")` for
    /// pairs of bounds.
    static func ascii(_ pairs: String...) -> ScalarSet {
        ScalarSet(
            pairs.compactMap { pair in
                let values = pair.unicodeScalars.map(\.value)
                guard let first = values.first, let last = values.last else { return nil }
                return first...last
            })
    }

    /// `\d`: the ASCII digits.
    static let digits = ascii("09")
    /// `\s`: space, tab, line feed, carriage return, form feed, vertical tab.
    static let whitespace = ascii("  ", "\t\r", "\u{0C}\u{0C}", "\u{0B}\u{0B}")
    /// `\w`: ASCII letters, digits and underscore.
    static let wordCharacters = ascii("az", "AZ", "09", "__")
    /// `.`: every scalar but line feed.
    static let anyButNewline = ScalarSet([0x0A...0x0A]).complement

    /// Whether the set is empty.
    var isEmpty: Bool { ranges.isEmpty }

    /// The union with `other`.
    func union(_ other: ScalarSet) -> ScalarSet {
        ScalarSet(ranges + other.ranges)
    }

    /// Every scalar not in the set.
    var complement: ScalarSet {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= Self.maximumScalar { result.append(next...Self.maximumScalar) }
        return ScalarSet(result)
    }

    private static func removingSurrogates(_ range: ClosedRange<UInt32>) -> [ClosedRange<UInt32>] {
        let surrogates: ClosedRange<UInt32> = 0xD800...0xDFFF
        guard range.overlaps(surrogates) else { return [range] }
        var pieces: [ClosedRange<UInt32>] = []
        if range.lowerBound < surrogates.lowerBound {
            pieces.append(range.lowerBound...(surrogates.lowerBound - 1))
        }
        if range.upperBound > surrogates.upperBound {
            pieces.append((surrogates.upperBound + 1)...range.upperBound)
        }
        return pieces
    }

    // MARK: UTF-8

    /// The set as UTF-8 byte-range sequences: a byte string is the UTF-8 form of a member
    /// exactly when it matches one sequence (one range per byte, all of one length).
    var utf8Sequences: [[ClosedRange<UInt8>]] {
        var sequences: [[ClosedRange<UInt8>]] = []
        let lengthLimits: [UInt32] = [0x7F, 0x7FF, 0xFFFF, 0x10FFFF]
        for range in ranges {
            var start = range.lowerBound
            for limit in lengthLimits where start <= range.upperBound && start <= limit {
                let end = min(range.upperBound, limit)
                Self.split(start, end, into: &sequences)
                start = end + 1
            }
        }
        return sequences
    }

    /// Splits `start...end` (one encoded length) until every piece's encodings vary byte by
    /// byte independently, then emits one range per byte (the `utf8-ranges` construction).
    private static func split(
        _ start: UInt32, _ end: UInt32, into sequences: inout [[ClosedRange<UInt8>]]
    ) {
        let length = encodedLength(start)
        for index in 1..<max(length, 1) {
            let mask: UInt32 = (1 << (6 * UInt32(index))) - 1
            if start & ~mask != end & ~mask {
                if start & mask != 0 {
                    split(start, start | mask, into: &sequences)
                    split((start | mask) + 1, end, into: &sequences)
                    return
                }
                if end & mask != mask {
                    split(start, (end & ~mask) - 1, into: &sequences)
                    split(end & ~mask, end, into: &sequences)
                    return
                }
            }
        }
        let low = encode(start), high = encode(end)
        sequences.append(zip(low, high).map { $0...$1 })
    }

    private static func encodedLength(_ value: UInt32) -> Int {
        value < 0x80 ? 1 : value < 0x800 ? 2 : value < 0x10000 ? 3 : 4
    }

    /// The UTF-8 bytes of a scalar value (surrogates are never passed here).
    static func encode(_ value: UInt32) -> [UInt8] {
        switch encodedLength(value) {
        case 1: return [UInt8(value)]
        case 2: return [UInt8(0xC0 | value >> 6), UInt8(0x80 | value & 0x3F)]
        case 3:
            return [
                UInt8(0xE0 | value >> 12), UInt8(0x80 | (value >> 6) & 0x3F),
                UInt8(0x80 | value & 0x3F),
            ]
        default:
            return [
                UInt8(0xF0 | value >> 18), UInt8(0x80 | (value >> 12) & 0x3F),
                UInt8(0x80 | (value >> 6) & 0x3F), UInt8(0x80 | value & 0x3F),
            ]
        }
    }
}
