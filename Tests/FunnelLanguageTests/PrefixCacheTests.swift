import Testing
@testable import FunnelLanguage

/// ``PrefixCache`` on synthetic token arrays: the alignment arithmetic, the longest-prefix
/// lookup and least-recently-used eviction.
struct PrefixCacheTests {
    /// `count` tokens starting at `first` (distinct runs make distinct prefixes).
    func tokens(_ count: Int, from first: Int32 = 0) -> [Int32] { (0..<Int32(count)).map { first + $0 } }

    @Test func reusableLengthsAreWholeChunksShortOfTheLastToken() {
        let cache = PrefixCache<Int>(capacity: 2, chunk: 4)
        #expect(PrefixCache<Int>.commonPrefixLength([1, 2, 3], [1, 2, 4, 5]) == 2)
        #expect(PrefixCache<Int>.commonPrefixLength([1, 2], [1, 2, 3]) == 2)
        #expect(PrefixCache<Int>.commonPrefixLength([], [1]) == 0)
        #expect(cache.storableLength(11) == 8 && cache.storableLength(12) == 12 && cache.storableLength(3) == 0)
        // Shared 9 of a 20-token prompt: two chunks.
        #expect(cache.reusableLength(commonPrefix: 9, promptCount: 20) == 8)
        // The whole 8-token prompt is cached: one token must still be fed, so one chunk.
        #expect(cache.reusableLength(commonPrefix: 8, promptCount: 8) == 4)
        #expect(cache.reusableLength(commonPrefix: 3, promptCount: 20) == 0)
        #expect(cache.reusableLength(commonPrefix: 1, promptCount: 1) == 0)
    }

    @Test func matchesTheLongestAlignedPrefix() {
        var cache = PrefixCache<String>(capacity: 4, chunk: 4)
        #expect(cache.match(tokens(10)) == nil)
        cache.insert(tokens: tokens(4), value: "short")
        cache.insert(tokens: tokens(8, from: 100), value: "other")
        cache.insert(tokens: tokens(4) + tokens(8, from: 50), value: "long")
        // "long" extends "short", which it replaces.
        #expect(cache.entries.map(\.value) == ["other", "long"])
        let prompt = tokens(4) + tokens(6, from: 50) + [7, 7]
        let found = cache.match(prompt)
        #expect(found?.value == "long" && found?.length == 8)
        #expect(cache.match(tokens(4) + [9]).map { [$0.value: $0.length] } == ["long": 4])
        // Fewer than a chunk in common: nothing to reuse.
        #expect(cache.match(tokens(3) + [9, 9, 9, 9]) == nil)
        // A prefix of a stored entry only touches it.
        cache.insert(tokens: tokens(8, from: 100).prefix(4).map { $0 }, value: "redundant")
        #expect(cache.entries.map(\.value) == ["long", "other"])
    }

    @Test func evictsTheLeastRecentlyUsedBeyondCapacity() {
        var cache = PrefixCache<Int>(capacity: 2, chunk: 2)
        cache.insert(tokens: [1, 1], value: 1)
        cache.insert(tokens: [2, 2], value: 2)
        // Using 1 makes 2 the least recently used, so 3 evicts it.
        #expect(cache.match([1, 1, 5])?.value == 1)
        cache.insert(tokens: [3, 3], value: 3)
        #expect(cache.entries.map(\.value) == [1, 3])
        #expect(cache.match([2, 2, 5]) == nil)
        cache.insert(tokens: [4, 4], value: 4)
        #expect(cache.entries.map(\.value) == [3, 4])
        cache.removeAll()
        #expect(cache.entries.isEmpty)

        var disabled = PrefixCache<Int>(capacity: 0, chunk: 2)
        disabled.insert(tokens: [1, 1], value: 1)
        #expect(disabled.entries.isEmpty && disabled.match([1, 1, 1]) == nil)
    }
}
