import Foundation

/// Applies a ranked merge list to one pre-tokenised word: starting from one symbol per byte,
/// repeatedly merges the adjacent pair with the lowest rank (the leftmost of equal ranks)
/// until no adjacent pair has a merge. A binary heap of candidate pairs over a linked list of
/// symbols keeps a long word (a run of Chinese text is one word) at O(n log n); stale heap
/// entries are recognised when popped and dropped.
///
/// Results are memoised per word (the word's bytes → its ids) in a bounded, lock-protected
/// cache, so repeated words cost one dictionary look-up.
final class BytePairMerger: @unchecked Sendable {
    /// One merge: its rank (its index in the merge list) and the token it produces.
    struct Merge {
        var rank: Int32
        var result: Int32
    }

    /// Merges keyed by `left << 32 | right` (token ids).
    private let merges: [UInt64: Merge]
    /// The token id of each single byte, or nil where the vocabulary lacks it.
    private let byteTokens: [Int32?]
    /// The id a byte missing from the vocabulary becomes (nil: the tokenizer refused such a vocabulary).
    private let unknownId: Int32?

    private let cacheLock = NSLock()
    private var cache: [[UInt8]: [Int32]] = [:]
    /// The cache is emptied when it reaches this many words.
    private let cacheCapacity = 100_000

    init(merges: [UInt64: Merge], byteTokens: [Int32?], unknownId: Int32?) {
        self.merges = merges
        self.byteTokens = byteTokens
        self.unknownId = unknownId
    }

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids of one word (its UTF-8 bytes) to `output`.
    func encodeWord(_ bytes: [UInt8], into output: inout [Int32]) {
        if let cached = cacheLock.withLock({ cache[bytes] }) {
            output.append(contentsOf: cached)
            return
        }
        let ids = merge(bytes)
        cacheLock.withLock {
            if cache.count >= cacheCapacity { cache.removeAll(keepingCapacity: true) }
            cache[bytes] = ids
        }
        output.append(contentsOf: ids)
    }

    /// The merged ids of one word, without the cache.
    func merge(_ bytes: [UInt8]) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        for byte in bytes {
            if let id = byteTokens[Int(byte)] ?? unknownId { symbols.append(id) }
        }
        let count = symbols.count
        if count < 2 { return symbols }

        var next = Array(1...count)   // `count` marks the end
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var heap = CandidateHeap()
        for index in 0..<(count - 1) {
            if let merge = merges[Self.key(symbols[index], symbols[index + 1])] {
                heap.push(Candidate(rank: merge.rank, position: Int32(index)))
            }
        }
        while let candidate = heap.pop() {
            let left = Int(candidate.position)
            guard alive[left] else { continue }
            let right = next[left]
            guard right < count,
                  let merge = merges[Self.key(symbols[left], symbols[right])],
                  merge.rank == candidate.rank
            else { continue }
            symbols[left] = merge.result
            alive[right] = false
            let afterRight = next[right]
            next[left] = afterRight
            if afterRight < count { previous[afterRight] = left }
            let before = previous[left]
            if before >= 0, let merge = merges[Self.key(symbols[before], symbols[left])] {
                heap.push(Candidate(rank: merge.rank, position: Int32(before)))
            }
            if afterRight < count, let merge = merges[Self.key(symbols[left], symbols[afterRight])] {
                heap.push(Candidate(rank: merge.rank, position: Int32(left)))
            }
        }
        var result: [Int32] = []
        var index = 0
        while index < count {
            result.append(symbols[index])
            index = next[index]
        }
        return result
    }
}

/// A pair that may be merged: the merge's rank and the position of its left symbol.
struct Candidate {
    var rank: Int32
    var position: Int32

    /// Lower rank first; of equal ranks, the leftmost.
    func precedes(_ other: Candidate) -> Bool {
        rank != other.rank ? rank < other.rank : position < other.position
    }
}

/// A binary min-heap of candidates ordered by ``Candidate/precedes(_:)``.
struct CandidateHeap {
    private var items: [Candidate] = []

    mutating func push(_ item: Candidate) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return top }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left].precedes(items[smallest]) { smallest = left }
            if right < items.count, items[right].precedes(items[smallest]) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
