import Dispatch
import FunnelData
import FunnelTensor

/// Graph-constrained decoding of RPG (Hou et al., "Generating Long Semantic IDs in Parallel for
/// Recommendation", KDD 2025, arXiv 2506.05781; sequential.md §4.5): score only the items reached
/// by walking an item–item graph from random starting items, instead of all N.
///
/// The graph is built once from the per-digit token embedding tables `T_k` `[K_k, e]`:
/// `sim(i, j) = (1/M) Σ_k (cos(T_k[c_k(i)], T_k[c_k(j)]) + 1) / 2`, and every item keeps its
/// `edges` most similar other items (similarity descending, then id ascending). The per-digit
/// `K_k × K_k` similarity tables are computed first, so the `O(N² · M)` build is one gathered add
/// per pair and digit, spread over the cores. Measured for N = 10,000, K = 256, e = 64 in a
/// debug build on two shared cores (`DecodingCostTests`): about 2.6 s for M = 4 and 8.6 s for M = 32.
///
/// Decoding a user: start from `beams` distinct random items (seeded); `propagationSteps` times,
/// gather the neighbours of the current beam, score them (and the beam itself) with
/// ``ExhaustiveItemScorer``'s `S(i)`, keep the best `beams` (score descending, then id
/// ascending); return the best `count`. RPG's neighbour lists contain the item itself (its own
/// similarity, 1, is maximal); here the self-edge is kept out of the list and the beam is
/// re-scored explicitly, which is the same walk with one more real neighbour per item.
public struct GraphConstrainedDecoder: Sendable {
    /// RPG's defaults (`configs`: `n_edges: 50`, `num_beams: 50`, `propagation_steps: 3`).
    public struct Options: Sendable, Codable, Equatable {
        /// Neighbours kept per item.
        public var edges: Int = 50
        /// Items kept between propagation steps (and drawn at random to start).
        public var beams: Int = 50
        /// How many times the beam moves to its neighbours.
        public var propagationSteps: Int = 3

        public init(edges: Int = 50, beams: Int = 50, propagationSteps: Int = 3) {
            self.edges = edges
            self.beams = beams
            self.propagationSteps = propagationSteps
        }
    }

    public let options: Options
    /// N: items 1 … N.
    public var itemCount: Int { scorer.itemCount }
    /// Neighbours per item: `min(edges, N − 1)`.
    public let neighbourCount: Int
    /// `[N + 1, neighbourCount]`: item i's neighbours, most similar first; row 0 is unused.
    public let neighbours: [Int32]
    /// Scores the candidates.
    public let scorer: ExhaustiveItemScorer

    /// Builds the item graph.
    /// - Parameters:
    ///   - semanticIDs: every item's codes.
    ///   - tokenEmbeddings: the digits' token tables stacked, `[Σ_k K_k, dimensions]` (digit k's
    ///     rows start at `Σ_{j<k} K_j`), as the model's token embedding without padding and EOS.
    ///   - dimensions: e, the embedding width.
    public init(
        semanticIDs: SemanticIDs, tokenEmbeddings: [Float], dimensions: Int,
        options: Options = Options()
    ) {
        precondition(
            options.edges >= 0 && options.beams > 0 && options.propagationSteps >= 0,
            "Funnel: invalid graph decoding options \(options)")
        let sizes = semanticIDs.digitSizes
        precondition(
            dimensions > 0 && tokenEmbeddings.count == sizes.reduce(0, +) * dimensions,
            "Funnel: token embeddings must be [\(sizes.reduce(0, +)), \(dimensions)]")
        let tables = Self.tokenSimilarities(
            tokenEmbeddings: tokenEmbeddings, dimensions: dimensions, digitSizes: sizes)
        let itemCount = semanticIDs.itemCount
        let columns = itemCount + 1
        let digits = sizes.count
        // Digit-major codes, and where each digit's table starts, so the inner loop is one gather.
        var codes = [Int32](repeating: 0, count: digits * columns)
        var tableStarts = [Int](repeating: 0, count: digits)
        for digit in 0..<digits {
            if digit > 0 {
                tableStarts[digit] = tableStarts[digit - 1] + sizes[digit - 1] * sizes[digit - 1]
            }
            for item in stride(from: 1, to: columns, by: 1) {
                codes[digit * columns + item] = semanticIDs.code(item: item, digit: digit)
            }
        }
        let neighbourCount = max(0, min(options.edges, itemCount - 1))
        var neighbours = [Int32](repeating: 0, count: columns * neighbourCount)
        if neighbourCount > 0 {
            let chunk = 64
            let layout = Layout(
                columns: columns, digitSizes: sizes, tableStarts: tableStarts, edges: neighbourCount
            )
            neighbours.withUnsafeMutableBufferPointer { output in
                codes.withUnsafeBufferPointer { codes in
                    tables.withUnsafeBufferPointer { tables in
                        // Each part writes only its own items' rows and reads the shared tables.
                        nonisolated(unsafe) let output = output.baseAddress!
                        nonisolated(unsafe) let codes = codes.baseAddress!
                        nonisolated(unsafe) let tables = tables.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: (itemCount + chunk - 1) / chunk)
                        { part in
                            let sums = UnsafeMutablePointer<Float>.allocate(capacity: columns)
                            defer { sums.deallocate() }
                            for item in (part * chunk + 1)...min((part + 1) * chunk, itemCount) {
                                Self.nearest(
                                    to: item, layout: layout, codes: codes, tables: tables,
                                    sums: sums,
                                    into: output + item * neighbourCount)
                            }
                        }
                    }
                }
            }
        }
        self.options = options
        self.neighbourCount = neighbourCount
        self.neighbours = neighbours
        scorer = ExhaustiveItemScorer(semanticIDs)
    }

    /// Sizes the neighbour search needs: `columns = N + 1`, each digit's table start.
    private struct Layout: Sendable {
        var columns: Int
        var digitSizes: [Int]
        var tableStarts: [Int]
        var edges: Int
    }

    /// Writes item `item`'s `edges` most similar other items, best first, into `output`: one
    /// gathered add per other item and digit into `sums` (`[N + 1]` scratch), then a selection.
    private static func nearest(
        to item: Int, layout: Layout, codes: UnsafePointer<Int32>, tables: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Int32>
    ) {
        let columns = layout.columns
        sums.update(repeating: 0, count: columns)
        for digit in layout.digitSizes.indices {
            let digitCodes = codes + digit * columns
            let row =
                tables + layout.tableStarts[digit] + Int(digitCodes[item])
                * layout.digitSizes[digit]
            for other in 1..<columns { sums[other] += row[Int(digitCodes[other])] }
        }
        // The sum, not the mean: the same order, without rounding ties into it.
        var selection = TopSelection(capacity: layout.edges)
        var bar: Float?
        for other in 1..<columns where other != item {
            if let bar, !(sums[other] > bar) { continue }
            selection.insert(ScoredItem(item: other, score: sums[other]))
            bar = selection.ascendingBar
        }
        for (rank, neighbour) in selection.sorted().enumerated() {
            output[rank] = Int32(neighbour.item)
        }
    }

    /// Each digit's `[K_k, K_k]` table of `(cos + 1) / 2` between its token embeddings,
    /// concatenated; a zero embedding has cosine 0 with everything.
    public static func tokenSimilarities(
        tokenEmbeddings: [Float], dimensions: Int, digitSizes: [Int]
    ) -> [Float] {
        var normalised = tokenEmbeddings
        for token in 0..<(tokenEmbeddings.count / dimensions) {
            let range = (token * dimensions)..<((token + 1) * dimensions)
            let norm = normalised[range].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for index in range { normalised[index] = norm > 0 ? normalised[index] / norm : 0 }
        }
        var tables = [Float](repeating: 0, count: digitSizes.reduce(0) { $0 + $1 * $1 })
        normalised.withUnsafeBufferPointer { normalised in
            tables.withUnsafeMutableBufferPointer { tables in
                var firstToken = 0
                var written = 0
                for size in digitSizes {
                    for row in 0..<size {
                        let left = normalised.baseAddress! + (firstToken + row) * dimensions
                        for column in 0..<size {
                            let right = normalised.baseAddress! + (firstToken + column) * dimensions
                            var dot: Float = 0
                            for index in 0..<dimensions { dot += left[index] * right[index] }
                            tables[written + row * size + column] = (dot + 1) / 2
                        }
                    }
                    firstToken += size
                    written += size * size
                }
            }
        }
        return tables
    }

    /// Item `item`'s neighbours, most similar first, `[neighbourCount]`.
    public func neighbours(of item: Int) -> ArraySlice<Int32> {
        neighbours[(item * neighbourCount)..<((item + 1) * neighbourCount)]
    }

    /// Decodes user `user`: the best `count` items found by the walk, best first.
    public func decode(
        _ logProbabilities: DigitLogProbabilities, user: Int, count: Int,
        using generator: inout RandomGenerator
    ) -> [ScoredItem] {
        guard itemCount > 0, count > 0 else { return [] }
        var candidates = Self.distinctItems(
            min(options.beams, itemCount), from: itemCount, using: &generator)
        var seen = [Bool](repeating: false, count: itemCount + 1)
        var beam = best(candidates, logProbabilities, user: user, keeping: options.beams)
        for _ in 0..<options.propagationSteps {
            candidates.removeAll(keepingCapacity: true)
            for entry in beam {
                if !seen[entry.item] {
                    seen[entry.item] = true
                    candidates.append(entry.item)
                }
                for neighbour in neighbours(of: entry.item) where !seen[Int(neighbour)] {
                    seen[Int(neighbour)] = true
                    candidates.append(Int(neighbour))
                }
            }
            for item in candidates { seen[item] = false }
            beam = best(candidates, logProbabilities, user: user, keeping: options.beams)
        }
        return Array(beam.prefix(count))
    }

    /// Decodes every user, `[B][≤ count]`; user b draws its start from `RandomGenerator(seed:
    /// seed, epoch: 0, step: b)`, so a user's result does not depend on the batch around it.
    public func decode(_ logProbabilities: DigitLogProbabilities, count: Int, seed: UInt64)
        -> [[ScoredItem]]
    {
        (0..<logProbabilities.users).map { user in
            var generator = RandomGenerator(seed: seed, epoch: 0, step: user)
            return decode(logProbabilities, user: user, count: count, using: &generator)
        }
    }

    private func best(
        _ items: [Int], _ logProbabilities: DigitLogProbabilities, user: Int, keeping capacity: Int
    ) -> [ScoredItem] {
        let scores = scorer.scores(items: items, logProbabilities, user: user)
        var selection = TopSelection(capacity: capacity)
        for (item, score) in zip(items, scores) {
            selection.insert(ScoredItem(item: item, score: score))
        }
        return selection.sorted()
    }

    /// `count` distinct items of 1 … N, uniformly: a partial Fisher–Yates shuffle when `count` is
    /// a large share of N, rejection otherwise.
    static func distinctItems(
        _ count: Int, from itemCount: Int, using generator: inout RandomGenerator
    ) -> [Int] {
        if count * 4 >= itemCount {
            var items = Array(1...itemCount)
            for index in 0..<count {
                items.swapAt(index, Int.random(in: index..<itemCount, using: &generator))
            }
            return Array(items.prefix(count))
        }
        var chosen = Set<Int>()
        var items: [Int] = []
        while items.count < count {
            let item = Int.random(in: 1...itemCount, using: &generator)
            if chosen.insert(item).inserted { items.append(item) }
        }
        return items
    }
}
