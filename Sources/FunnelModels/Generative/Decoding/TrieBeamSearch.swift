/// Beam search over the digits of semantic IDs, constrained to a ``SemanticIDTrie``: TIGER's
/// autoregressive decoding (Rajput et al., arXiv 2305.05065) as sequential.md §4.5 describes it.
///
/// Step d (0-based, d < M) extends every live prefix of length d by the trie's children only, so
/// an invalid ID never appears (masking invalid codes to −∞ without ever scoring them). A
/// prefix's score is the running sum of its codes' log-probabilities, summed in digit order from
/// 0; the best `beamWidth` extensions survive, ties broken by prefix (lexicographic code order).
/// The final beams expand to every item of their leaf with score `sum / M` (so scores equal
/// ``ExhaustiveItemScorer``'s `S(i)` to the bit), ranked score descending, then item id ascending.
///
/// With per-digit tables (the parallel multi-token heads of RPG and FAIR) and `beamWidth` ≥ the
/// number of distinct tuples nothing is pruned and the result is exactly the exhaustive ranking.
public struct TrieBeamSearch: Sendable {
    /// Beam-search settings.
    public struct Options: Sendable, Codable, Equatable {
        /// W: the prefixes kept after every digit (TIGER uses 20 or 50).
        public var beamWidth: Int = 20

        public init(beamWidth: Int = 20) { self.beamWidth = beamWidth }
    }

    /// The live prefixes of one step, given to an autoregressive model.
    public struct Step: Sendable, Equatable {
        /// d: the digit the model predicts next (0-based); every prefix has `digit` codes.
        public var digit: Int
        /// The live prefixes, best first, `[beams][digit]`; each is a prefix of some item's tuple.
        public var prefixes: [[Int32]]
        /// For each prefix, the index of the prefix it extends in the previous step's `prefixes`
        /// (to reorder a KV cache); empty at digit 0, where the only prefix is the empty one.
        public var parents: [Int]
    }

    /// The tree the beams walk.
    public let trie: SemanticIDTrie
    public let options: Options

    public init(trie: SemanticIDTrie, options: Options = Options()) {
        precondition(options.beamWidth > 0, "Funnel: a beam search needs a positive beam width")
        self.trie = trie
        self.options = options
    }

    /// Decodes user `user` from fixed per-digit tables (parallel multi-token prediction): the best
    /// `count` items, best first.
    public func search(_ logProbabilities: DigitLogProbabilities, user: Int, count: Int)
        -> [ScoredItem]
    {
        precondition(
            logProbabilities.digitSizes == trie.digitSizes,
            "Funnel: log-probabilities and trie disagree on the digits")
        precondition(
            (0..<logProbabilities.users).contains(user),
            "Funnel: user \(user) is not in 0 ..< \(logProbabilities.users)")
        let base = user * logProbabilities.width
        return logProbabilities.values.withUnsafeBufferPointer { values in
            run(count: count) { digit, _ in
                let row = base + logProbabilities.offsets[digit]
                return { _, code in values[row + code] }
            }
        }
    }

    /// Decodes every user from fixed per-digit tables, `[B][≤ count]`.
    public func search(_ logProbabilities: DigitLogProbabilities, count: Int) -> [[ScoredItem]] {
        (0..<logProbabilities.users).map { search(logProbabilities, user: $0, count: count) }
    }

    /// Decodes with an autoregressive model: `nextLogProbabilities` is called once per digit (M
    /// times, fewer only when no item exists) with every live prefix, and returns one row of
    /// `K_digit` log-probabilities for the next code per prefix, `[beams][K_digit]`.
    public func search(count: Int, nextLogProbabilities: (Step) throws -> [[Float]]) rethrows
        -> [ScoredItem]
    {
        var previousNodes: [Int] = []
        return try run(count: count) { digit, nodes in
            var parents: [Int] = []
            if digit > 0 {
                var beamOfNode: [Int: Int] = [:]
                for (beam, node) in previousNodes.enumerated() { beamOfNode[node] = beam }
                parents = nodes.map { beamOfNode[trie.parent(of: $0, depth: digit)]! }
            }
            previousNodes = nodes
            let step = Step(
                digit: digit, prefixes: nodes.map { trie.prefix(of: $0, depth: digit) },
                parents: parents)
            let rows = try nextLogProbabilities(step)
            precondition(
                rows.count == nodes.count && rows.allSatisfy { $0.count == trie.digitSizes[digit] },
                "Funnel: the model must return \(nodes.count) rows of \(trie.digitSizes[digit]) log-probabilities at digit \(digit)"
            )
            return { beam, code in rows[beam][code] }
        }
    }

    /// The search itself: `source(digit, nodes)` gives, for the live nodes at depth `digit`, a
    /// lookup of (beam index, code) → log-probability of that code next.
    private func run(
        count: Int,
        source: (_ digit: Int, _ nodes: [Int]) throws -> (_ beam: Int, _ code: Int) -> Float
    ) rethrows -> [ScoredItem] {
        guard trie.itemCount > 0, count > 0 else { return [] }
        var beams = [ScoredItem(item: 0, score: 0)]
        for digit in 0..<trie.digits {
            let logProbability = try source(digit, beams.map(\.item))
            var selection = TopSelection(capacity: options.beamWidth)
            for (beam, prefix) in beams.enumerated() {
                for child in trie.children(of: prefix.item, depth: digit) {
                    let code = Int(trie.code(of: child, depth: digit + 1))
                    let candidate = ScoredItem(
                        item: child, score: prefix.score + logProbability(beam, code))
                    if let threshold = selection.threshold,
                        !ScoredItem.ranksBefore(candidate, threshold)
                    {
                        continue
                    }
                    selection.insert(candidate)
                }
            }
            beams = selection.sorted()
        }
        let digits = Float(trie.digits)
        var items: [ScoredItem] = []
        for leaf in beams {
            for item in trie.items(ofLeaf: leaf.item) {
                items.append(ScoredItem(item: Int(item), score: leaf.score / digits))
            }
        }
        items.sort(by: ScoredItem.ranksBefore)
        return Array(items.prefix(count))
    }
}
