extension ItemRanking {
    /// The 1-based rank of the best-placed target under ``tieBreaking``.
    ///
    /// `1 + r` with `r` the candidates ahead of it: strictly higher ones under `.optimistic`,
    /// also the tied non-targets under `.pessimistic`, and the mean over random tie orders
    /// under `.expected` (hence a `Double`).
    public var rank: Double {
        let group = tieGroups[0]
        let tiedOthers = Double(group.tiedItems - group.targets)
        switch tieBreaking {
        case .optimistic: return Double(group.itemsAbove + 1)
        case .pessimistic: return Double(group.itemsAbove + 1) + tiedOthers
        case .expected: return Double(group.itemsAbove + 1) + tiedOthers / Double(group.targets + 1)
        }
    }

    /// HR@K: 1 if a target ranks in the top `cutoff`, else 0 (a probability under `.expected`).
    ///
    /// With one target this is `1[r < K]`, which equals Recall@K.
    /// - Parameter cutoff: K, at least 1.
    public func hitRatio(at cutoff: Int) -> Double {
        firstTarget(cutoff: cutoff) { _ in 1 }
    }

    /// Recall@K: the fraction of targets ranked in the top `cutoff`.
    /// - Parameter cutoff: K, at least 1.
    public func recall(at cutoff: Int) -> Double {
        sumOverTargets(cutoff: cutoff) { _ in 1 } / Double(targetCount)
    }

    /// NDCG@K with binary relevance: `Σ_{targets with r < K} 1/log2(r + 2)` over the ideal DCG.
    ///
    /// With one target the ideal DCG is 1, so this is `1[r < K] / log2(r + 2)`.
    /// - Parameter cutoff: K, at least 1.
    public func ndcg(at cutoff: Int) -> Double {
        let idealCount = min(cutoff, targetCount)
        let ideal = (0..<idealCount).reduce(0.0) { $0 + Self.discount($1) }
        return sumOverTargets(cutoff: cutoff, Self.discount) / ideal
    }

    /// Reciprocal rank of the best-placed target, `1 / (r + 1)`, or 0 if it ranks at K or below.
    /// - Parameter cutoff: K, at least 1; `nil` for the uncut reciprocal rank.
    public func reciprocalRank(at cutoff: Int? = nil) -> Double {
        firstTarget(cutoff: cutoff ?? Int.max) { 1 / Double($0 + 1) }
    }

    /// The value of `metric` at `cutoff`.
    public func value(of metric: RankingMetric, at cutoff: Int) -> Double {
        switch metric {
        case .hitRatio: hitRatio(at: cutoff)
        case .recall: recall(at: cutoff)
        case .ndcg: ndcg(at: cutoff)
        case .reciprocalRank: reciprocalRank(at: cutoff)
        }
    }

    /// `1 / log2(r + 2)`, the DCG discount of 0-based rank `r`.
    static func discount(_ rank: Int) -> Double {
        1 / ElementaryFunctions.log2(Double(rank + 2))
    }

    /// `Σ_targets gain(r)` over targets with `r < cutoff`, in expectation under `.expected`.
    ///
    /// Under `.expected` each target of a group is equally likely to take any of the group's
    /// `tiedItems` positions, so by linearity a group adds `targets / tiedItems` times the
    /// gain summed over those positions.
    private func sumOverTargets(cutoff: Int, _ gain: (Int) -> Double) -> Double {
        precondition(cutoff >= 1, "ranking cutoff K must be at least 1, got \(cutoff)")
        var total = 0.0
        for group in tieGroups where group.itemsAbove < cutoff {
            let positions: Range<Int>
            switch tieBreaking {
            case .optimistic:
                positions = group.itemsAbove..<(group.itemsAbove + group.targets)
            case .pessimistic:
                let last = group.itemsAbove + group.tiedItems
                positions = (last - group.targets)..<last
            case .expected:
                positions = group.itemsAbove..<(group.itemsAbove + group.tiedItems)
            }
            var sum = 0.0
            for rank in positions.clamped(to: 0..<cutoff) { sum += gain(rank) }
            if tieBreaking == .expected {
                sum *= Double(group.targets) / Double(group.tiedItems)
            }
            total += sum
        }
        return total
    }

    /// `gain(r)` of the best-placed target, 0 if `r ≥ cutoff`, in expectation under `.expected`.
    ///
    /// Only the highest-scoring group matters. Under `.expected` its `m` targets take a uniformly
    /// random `m`-subset of its `g` positions, and the first of them sits at offset `q` with
    /// probability `C(g−q−1, m−1) / C(g, m)`.
    private func firstTarget(cutoff: Int, _ gain: (Int) -> Double) -> Double {
        precondition(cutoff >= 1, "ranking cutoff K must be at least 1, got \(cutoff)")
        let group = tieGroups[0]
        let others = group.tiedItems - group.targets
        switch tieBreaking {
        case .optimistic:
            return group.itemsAbove < cutoff ? gain(group.itemsAbove) : 0
        case .pessimistic:
            let rank = group.itemsAbove + others
            return rank < cutoff ? gain(rank) : 0
        case .expected:
            let size = group.tiedItems
            var probability = Double(group.targets) / Double(size)
            var total = 0.0
            guard group.itemsAbove < cutoff else { return 0 }
            for offset in 0...min(others, cutoff - 1 - group.itemsAbove) {
                total += probability * gain(group.itemsAbove + offset)
                if offset < others {
                    probability *= Double(others - offset) / Double(size - offset - 1)
                }
            }
            return total
        }
    }
}
