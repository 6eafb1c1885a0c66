/// A small least-recently-used store of computed prompt prefixes: each entry is a token
/// sequence `[n]` (`n` a multiple of ``chunk``) with the value computed for it (for
/// ``LanguageModel``, the ``LlamaKVCache`` of those `n` positions).
///
/// Only chunk-aligned prefixes are stored and reused: ``LanguageModel`` prefills every prompt
/// in chunks aligned to absolute positions (`[0, c)`, `[c, 2c)`, …), so a position's keys and
/// values come out of the same chunk, with the same tokens and the same GEMM shapes, whether
/// they were computed now or for an earlier prompt sharing the prefix. A reused prefix thus
/// gives bit-identical results to a cold prefill.
///
/// Not thread-safe by itself: the owner locks around it.
struct PrefixCache<Value> {
    /// One stored prefix.
    struct Entry {
        /// `[n]`, `n` a positive multiple of the chunk size.
        var tokens: [Int32]
        var value: Value
    }

    /// The most entries kept; 0 stores nothing.
    let capacity: Int
    /// The alignment `c` of stored and reused lengths.
    let chunk: Int
    /// The entries, least recently used first.
    private(set) var entries: [Entry] = []

    init(capacity: Int, chunk: Int) {
        precondition(capacity >= 0 && chunk > 0, "Funnel: a prefix cache of capacity \(capacity) and chunk \(chunk)")
        self.capacity = capacity
        self.chunk = chunk
    }

    /// The number of leading tokens `first` and `second` share.
    static func commonPrefixLength(_ first: [Int32], _ second: [Int32]) -> Int {
        var length = 0
        let limit = min(first.count, second.count)
        while length < limit, first[length] == second[length] { length += 1 }
        return length
    }

    /// The largest multiple of ``chunk`` that is at most `length`: how much of a prompt of
    /// `length` tokens the aligned prefill can store.
    func storableLength(_ length: Int) -> Int { length / chunk * chunk }

    /// The positions of a prompt of `promptCount` tokens that can be taken from an entry sharing
    /// its first `commonPrefix` tokens: the largest multiple of ``chunk`` that is at most
    /// `commonPrefix` and less than `promptCount` (at least one token must still be fed to get
    /// the next token's logits).
    func reusableLength(commonPrefix: Int, promptCount: Int) -> Int {
        storableLength(min(commonPrefix, promptCount - 1))
    }

    /// The entry to continue `prompt` from: the one with the longest reusable prefix (the most
    /// recently used of equal ones), made the most recently used, with that length; `nil` when
    /// none gives a whole chunk.
    mutating func match(_ prompt: [Int32]) -> (length: Int, value: Value)? {
        var best: (index: Int, length: Int)?
        for index in entries.indices.reversed() {
            let length = reusableLength(
                commonPrefix: Self.commonPrefixLength(entries[index].tokens, prompt), promptCount: prompt.count)
            if length > (best?.length ?? 0) { best = (index, length) }
        }
        guard let best else { return nil }
        let entry = entries.remove(at: best.index)
        entries.append(entry)
        return (best.length, entry.value)
    }

    /// Stores `value` for `tokens` (a positive multiple of ``chunk`` long) as the most recently
    /// used entry. An entry that already covers `tokens` (starts with them) is only made the most
    /// recently used; entries that `tokens` extends are replaced; the least recently used beyond
    /// ``capacity`` are evicted.
    mutating func insert(tokens: [Int32], value: Value) {
        precondition(!tokens.isEmpty && tokens.count % chunk == 0, "Funnel: storing a prefix of \(tokens.count) tokens, not a multiple of \(chunk)")
        guard capacity > 0 else { return }
        if let covering = entries.lastIndex(where: { $0.tokens.count >= tokens.count && $0.tokens.starts(with: tokens) }) {
            let entry = entries.remove(at: covering)
            entries.append(entry)
            return
        }
        entries.removeAll { tokens.starts(with: $0.tokens) }
        entries.append(Entry(tokens: tokens, value: value))
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    /// Forgets every entry.
    mutating func removeAll() { entries.removeAll() }
}
