import Foundation

/// The token mask of constrained decoding: which tokens may come next so that the generated
/// bytes stay a prefix of a text a ``ByteAutomaton`` accepts.
///
/// The state is the automaton's state after the bytes generated so far. A token is allowed in
/// a state when the automaton accepts all of its bytes from there (the state after it can
/// still be completed, since the automaton keeps only live states). The end-of-sequence token
/// is allowed only in accepting states; every other token without bytes of its own (control,
/// unknown, unused and user-defined tokens of a ``ByteLevelBPETokenizer``) is never allowed.
///
/// Allowed sets are computed lazily, once per automaton state, by a depth-first walk of the
/// vocabulary's byte trie (``TokenTrie``) alongside the automaton, and cached; the class is
/// safe to share between threads (the cache is behind a lock).
public final class TokenConstraint: @unchecked Sendable {
    /// The grammar.
    public let automaton: ByteAutomaton
    /// The number of token ids (the length of a logits vector).
    public let vocabularySize: Int
    /// The end-of-sequence token, allowed in accepting states only.
    public let endOfSequence: Int32?

    private let tokenBytes: [[UInt8]?]
    private let trie: TokenTrie
    private let lock = NSLock()
    private var cache: [Int: TokenSet] = [:]

    /// A constraint over an explicit vocabulary.
    /// - Parameters:
    ///   - tokenBytes: each token's bytes by id; nil for tokens that are never allowed.
    ///   - endOfSequence: the id that ends generation (its bytes, if any, are ignored).
    public init(automaton: ByteAutomaton, tokenBytes: [[UInt8]?], endOfSequence: Int32?) {
        var bytes = tokenBytes
        if let endOfSequence, endOfSequence >= 0, Int(endOfSequence) < bytes.count {
            bytes[Int(endOfSequence)] = nil
        }
        self.automaton = automaton
        self.vocabularySize = tokenBytes.count
        self.endOfSequence = endOfSequence.flatMap {
            $0 >= 0 && Int($0) < tokenBytes.count ? $0 : nil
        }
        self.tokenBytes = bytes
        self.trie = TokenTrie(tokenBytes: bytes)
    }

    /// A constraint over a byte-level BPE vocabulary: normal and byte tokens by their bytes,
    /// the tokenizer's end-of-sequence token as the end; every other token never allowed.
    public convenience init(automaton: ByteAutomaton, tokenizer: ByteLevelBPETokenizer) {
        let bytes: [[UInt8]?] = tokenizer.tokenTypes.enumerated().map { index, type in
            switch type {
            case .normal, .byte: tokenizer.decodedBytes([Int32(index)])
            case .control, .userDefined, .unknown, .unused: nil
            }
        }
        self.init(
            automaton: automaton, tokenBytes: bytes,
            endOfSequence: tokenizer.specialTokens.endOfSequence)
    }

    /// The state before any token.
    public var initialState: Int { automaton.initialState }

    /// Whether `state` ends an accepted text (so the end-of-sequence token is allowed).
    public func isAccepting(_ state: Int) -> Bool {
        automaton.isAccepting(state)
    }

    /// The tokens allowed in `state` (computed on first use, then cached).
    public func allowedTokens(_ state: Int) -> TokenSet {
        lock.lock()
        if let cached = cache[state] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let computed = computeAllowedTokens(state)
        lock.lock()
        cache[state] = computed
        lock.unlock()
        return computed
    }

    /// The number of states whose allowed sets are cached.
    public var cachedStateCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return cache.count
    }

    private func computeAllowedTokens(_ state: Int) -> TokenSet {
        var allowed = TokenSet(capacity: vocabularySize)
        guard state >= 0, state < automaton.stateCount else { return allowed }
        automaton.withTransitions { table in
            trie.forEachAcceptedToken(
                from: Int32(state),
                step: { state, byte in
                    table[Int(state) &* 256 &+ Int(byte)]
                },
                { token, _ in
                    allowed.insert(token)
                })
        }
        if let endOfSequence, automaton.isAccepting(state) { allowed.insert(endOfSequence) }
        return allowed
    }

    /// The state after `token` from `state`, or nil when the token is not allowed there. The
    /// end-of-sequence token leaves an accepting state unchanged.
    public func advance(_ state: Int, token: Int32) -> Int? {
        if token == endOfSequence { return automaton.isAccepting(state) ? state : nil }
        guard token >= 0, Int(token) < tokenBytes.count, let bytes = tokenBytes[Int(token)],
            !bytes.isEmpty
        else {
            return nil
        }
        return automaton.run(bytes, from: state)
    }

    /// Sets the logits of the tokens not allowed in `state` to −∞ (entries past the
    /// vocabulary too).
    public func mask(logits: inout [Float], state: Int) {
        let allowed = allowedTokens(state)
        let limit = min(logits.count, vocabularySize)
        logits.withUnsafeMutableBufferPointer { logits in
            allowed.withWords { words in
                for (wordIndex, word) in words.enumerated() where word != ~0 {
                    let base = wordIndex * 64
                    guard base < limit else { break }
                    var missing = ~word
                    while missing != 0 {
                        let index = base + missing.trailingZeroBitCount
                        missing &= missing - 1
                        if index < limit { logits[index] = -.infinity }
                    }
                }
            }
            for index in limit..<max(limit, logits.count) { logits[index] = -.infinity }
        }
    }
}
