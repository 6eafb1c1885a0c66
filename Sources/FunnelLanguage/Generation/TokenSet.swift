/// A set of token ids in `0..<capacity` as a bitset: one bit per vocabulary entry, so a
/// 49,152-token vocabulary's set is 768 words (6 KB) and membership is one shift and mask.
public struct TokenSet: Sendable, Equatable, Sequence {
    /// The ids the set can hold: `0..<capacity`.
    public let capacity: Int
    /// The bits, 64 ids a word, id `i` at bit `i % 64` of word `i / 64`.
    public private(set) var words: [UInt64]

    /// The empty set of ids below `capacity`.
    public init(capacity: Int) {
        self.capacity = Swift.max(capacity, 0)
        words = [UInt64](repeating: 0, count: (self.capacity + 63) / 64)
    }

    /// The set of the given ids (ids outside `0..<capacity` are ignored).
    public init<Ids: Sequence>(capacity: Int, _ ids: Ids) where Ids.Element == Int32 {
        self.init(capacity: capacity)
        for id in ids { insert(id) }
    }

    /// Whether `id` is a member (false outside `0..<capacity`).
    @inline(__always)
    public func contains(_ id: Int32) -> Bool {
        guard id >= 0, Int(id) < capacity else { return false }
        return words[Int(id) >> 6] & (1 << UInt64(id & 63)) != 0
    }

    /// Adds `id` (ignored outside `0..<capacity`).
    @inline(__always)
    public mutating func insert(_ id: Int32) {
        guard id >= 0, Int(id) < capacity else { return }
        words[Int(id) >> 6] |= 1 << UInt64(id & 63)
    }

    /// Removes `id`.
    public mutating func remove(_ id: Int32) {
        guard id >= 0, Int(id) < capacity else { return }
        words[Int(id) >> 6] &= ~(1 << UInt64(id & 63))
    }

    /// The number of members.
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Whether there are no members.
    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// The members in ascending order.
    public func makeIterator() -> Iterator {
        Iterator(words: words)
    }

    /// Walks the set bits word by word.
    public struct Iterator: IteratorProtocol {
        let words: [UInt64]
        var wordIndex = 0
        var current: UInt64 = 0

        init(words: [UInt64]) {
            self.words = words
            current = words.first ?? 0
        }

        public mutating func next() -> Int32? {
            while current == 0 {
                wordIndex += 1
                guard wordIndex < words.count else { return nil }
                current = words[wordIndex]
            }
            let bit = current.trailingZeroBitCount
            current &= current - 1
            return Int32(wordIndex * 64 + bit)
        }
    }

    /// Gives the raw words to `body` for hot loops (masking logits).
    func withWords<Result>(_ body: (UnsafeBufferPointer<UInt64>) throws -> Result) rethrows
        -> Result
    {
        try words.withUnsafeBufferPointer(body)
    }
}
