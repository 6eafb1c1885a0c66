import FunnelData

/// Scores every item from per-digit log-probabilities: `S(i) = (1/M) Σ_k log p_k[c_k(i)]`, the
/// default decoding of RPG's `generate` (Hou et al., "Generating Long Semantic IDs in Parallel
/// for Recommendation", arXiv 2506.05781) and of FAIR (sequential.md §4.5). No history masking.
///
/// Vectorised as one gather per digit: digit k's row of the item table holds, for every item,
/// the position of its code in a user's `[Σ_k K_k]` row, so a user costs `M · N` gathered adds.
/// Every score sums the digits in digit order from 0 and then divides by `Float(M)`, so
/// ``score(item:_:user:)``, the batch scores, ``TrieBeamSearch`` and ``GraphConstrainedDecoder``
/// agree to the bit and two items with identical tuples tie exactly.
public struct ExhaustiveItemScorer: Sendable {
    /// N: items 1 … N.
    public let itemCount: Int
    /// `K_k`: each digit's codebook size.
    public let digitSizes: [Int]
    /// `[M, N + 1]`: digit k's row holds `offsets[k] + c_k(i)` for item i (column 0 unused).
    let positions: [Int32]

    /// The score of the padding item 0, which never ranks above a real item with a finite score.
    public static let paddingScore: Float = -.infinity

    /// Precomputes the gather positions of every item's codes.
    public init(_ semanticIDs: SemanticIDs) {
        let digits = semanticIDs.digits
        let columns = semanticIDs.itemCount + 1
        var positions = [Int32](repeating: 0, count: digits * columns)
        var offset: Int32 = 0
        for digit in 0..<digits {
            for item in 1..<columns {
                positions[digit * columns + item] =
                    offset + semanticIDs.code(item: item, digit: digit)
            }
            offset += Int32(semanticIDs.digitSizes[digit])
        }
        itemCount = semanticIDs.itemCount
        digitSizes = semanticIDs.digitSizes
        self.positions = positions
    }

    /// `S(item)` for one user: the mean over digits of the log-probability of the item's code.
    public func score(item: Int, _ logProbabilities: DigitLogProbabilities, user: Int = 0) -> Float
    {
        precondition(
            item >= 1 && item <= itemCount, "Funnel: item \(item) is not in 1 … \(itemCount)")
        check(logProbabilities)
        let columns = itemCount + 1
        let base = user * logProbabilities.width
        return positions.withUnsafeBufferPointer { positions in
            logProbabilities.values.withUnsafeBufferPointer { values in
                var total: Float = 0
                for digit in 0..<digitSizes.count {
                    total += values[base + Int(positions[digit * columns + item])]
                }
                return total / Float(digitSizes.count)
            }
        }
    }

    /// `S(i)` of the given items for user `user`, `[items.count]`, in one pass.
    public func scores(items: [Int], _ logProbabilities: DigitLogProbabilities, user: Int)
        -> [Float]
    {
        check(logProbabilities)
        precondition(
            items.allSatisfy { $0 >= 1 && $0 <= itemCount },
            "Funnel: items must lie in 1 … \(itemCount)")
        let columns = itemCount + 1
        let base = user * logProbabilities.width
        var scores = [Float](repeating: 0, count: items.count)
        positions.withUnsafeBufferPointer { positions in
            logProbabilities.values.withUnsafeBufferPointer { values in
                scores.withUnsafeMutableBufferPointer { scores in
                    let row = values.baseAddress! + base
                    let output = scores.baseAddress!
                    for digit in 0..<digitSizes.count {
                        let gather = positions.baseAddress! + digit * columns
                        for index in 0..<items.count {
                            output[index] += row[Int(gather[items[index]])]
                        }
                    }
                    let digits = Float(digitSizes.count)
                    for index in scores.indices { scores[index] /= digits }
                }
            }
        }
        return scores
    }

    /// Every item's score for user `user`, `[N + 1]`; index 0 holds ``paddingScore``.
    public func scores(_ logProbabilities: DigitLogProbabilities, user: Int) -> [Float] {
        var scores = [Float](repeating: 0, count: itemCount + 1)
        scores.withUnsafeMutableBufferPointer { write(logProbabilities, user: user, into: $0) }
        return scores
    }

    /// Every user's scores, `[B, N + 1]` row-major; column 0 holds ``paddingScore``.
    public func scores(_ logProbabilities: DigitLogProbabilities) -> [Float] {
        let columns = itemCount + 1
        var scores = [Float](repeating: 0, count: logProbabilities.users * columns)
        scores.withUnsafeMutableBufferPointer { buffer in
            for user in 0..<logProbabilities.users {
                write(
                    logProbabilities, user: user,
                    into: UnsafeMutableBufferPointer(
                        rebasing: buffer[(user * columns)..<((user + 1) * columns)]))
            }
        }
        return scores
    }

    /// User `user`'s best `count` items, best first (score descending, then item id ascending).
    public func topItems(_ logProbabilities: DigitLogProbabilities, user: Int, count: Int)
        -> [ScoredItem]
    {
        let scores = scores(logProbabilities, user: user)
        var selection = TopSelection(capacity: Swift.min(count, itemCount))
        var bar: Float?
        for item in stride(from: 1, through: itemCount, by: 1) {
            if let bar, !(scores[item] > bar) { continue }
            selection.insert(ScoredItem(item: item, score: scores[item]))
            bar = selection.ascendingBar
        }
        return selection.sorted()
    }

    /// Every user's best `count` items, `[B][count]`.
    public func topItems(_ logProbabilities: DigitLogProbabilities, count: Int) -> [[ScoredItem]] {
        (0..<logProbabilities.users).map { topItems(logProbabilities, user: $0, count: count) }
    }

    /// Writes user `user`'s `[N + 1]` scores into a zeroed buffer.
    private func write(
        _ logProbabilities: DigitLogProbabilities, user: Int,
        into scores: UnsafeMutableBufferPointer<Float>
    ) {
        check(logProbabilities)
        precondition(
            (0..<logProbabilities.users).contains(user),
            "Funnel: user \(user) is not in 0 ..< \(logProbabilities.users)")
        let columns = itemCount + 1
        let base = user * logProbabilities.width
        positions.withUnsafeBufferPointer { positions in
            logProbabilities.values.withUnsafeBufferPointer { values in
                let row = values.baseAddress! + base
                for digit in 0..<digitSizes.count {
                    let gather = positions.baseAddress! + digit * columns
                    for item in stride(from: 1, to: columns, by: 1) {
                        scores[item] += row[Int(gather[item])]
                    }
                }
            }
        }
        let digits = Float(digitSizes.count)
        for item in stride(from: 1, to: columns, by: 1) { scores[item] /= digits }
        scores[0] = Self.paddingScore
    }

    private func check(_ logProbabilities: DigitLogProbabilities) {
        precondition(
            logProbabilities.digitSizes == digitSizes,
            "Funnel: log-probabilities over digits \(logProbabilities.digitSizes), codes over \(digitSizes)"
        )
    }
}
