import FunnelData

/// A prefix tree over every item's semantic-ID tuple in digit order, the constraint of
/// autoregressive beam search (TIGER, Rajput et al., "Recommender Systems with Generative
/// Retrieval", arXiv 2305.05065; sequential.md §4.5): a prefix the tree lacks names no item.
///
/// Nodes are numbered per depth: depth 0 is the root (node 0), depth d ∈ 1 … M holds the
/// distinct prefixes of length d, numbered in lexicographic order of their codes, so a node's
/// index is also its tie-breaking rank. The children of a node are one contiguous, code-sorted
/// range of the next depth. A leaf (depth M) holds every item with that tuple, in id order, so
/// duplicate tuples share one leaf. Unordered digits (product quantisation) work the same way:
/// the tree simply follows the digits' fixed order.
public struct SemanticIDTrie: Sendable {
    /// `K_k`: each digit's codebook size.
    public let digitSizes: [Int]
    /// N: items 1 … N.
    public let itemCount: Int
    /// Per depth 0 … M: each node's code (of digit d − 1; 0 for the root).
    private let codes: [[Int32]]
    /// Per depth 0 … M: each node's parent at depth d − 1 (−1 for the root).
    private let parents: [[Int32]]
    /// Per depth 0 … M − 1, `[nodes + 1]`: node n's children are `firstChild[n] ..< firstChild[n + 1]`.
    private let firstChild: [[Int32]]
    /// `[leaves + 1]`: leaf n's items are `leafItems[firstItem[n] ..< firstItem[n + 1]]`.
    private let firstItem: [Int32]
    /// `[N]`: the items sorted by tuple, then id.
    private let leafItems: [Int32]

    /// M: the depth of the leaves.
    public var digits: Int { digitSizes.count }

    /// Builds the tree from every item's codes: a sort by tuple, then one sweep.
    public init(_ semanticIDs: SemanticIDs) {
        let digits = semanticIDs.digits
        let order = (1...max(semanticIDs.itemCount, 1)).filter { $0 <= semanticIDs.itemCount }
            .sorted { first, second in
                for digit in 0..<digits {
                    let left = semanticIDs.code(item: first, digit: digit)
                    let right = semanticIDs.code(item: second, digit: digit)
                    if left != right { return left < right }
                }
                return first < second
            }
        var codes = [[Int32]](repeating: [], count: digits + 1)
        var parents = [[Int32]](repeating: [], count: digits + 1)
        var firstChild = [[Int32]](repeating: [], count: digits)
        codes[0] = [0]
        parents[0] = [-1]
        if digits > 0 { firstChild[0] = [0] }
        var firstItem: [Int32] = []
        var leafItems: [Int32] = []
        leafItems.reserveCapacity(order.count)
        for (position, item) in order.enumerated() {
            // The first digit where this tuple leaves the previous one: new nodes start below it.
            var divergence = 0
            if position > 0 {
                let previous = order[position - 1]
                while divergence < digits,
                    semanticIDs.code(item: previous, digit: divergence)
                        == semanticIDs.code(item: item, digit: divergence)
                {
                    divergence += 1
                }
            }
            if divergence < digits {
                for depth in (divergence + 1)...digits {
                    codes[depth].append(semanticIDs.code(item: item, digit: depth - 1))
                    parents[depth].append(Int32(codes[depth - 1].count - 1))
                    if depth < digits { firstChild[depth].append(Int32(codes[depth + 1].count)) }
                }
                firstItem.append(Int32(leafItems.count))
            }
            leafItems.append(Int32(item))
        }
        for depth in 0..<digits { firstChild[depth].append(Int32(codes[depth + 1].count)) }
        firstItem.append(Int32(leafItems.count))
        digitSizes = semanticIDs.digitSizes
        itemCount = semanticIDs.itemCount
        self.codes = codes
        self.parents = parents
        self.firstChild = firstChild
        self.firstItem = firstItem
        self.leafItems = leafItems
    }

    /// How many distinct prefixes of length `depth` the items have (1 at depth 0; the number of
    /// distinct tuples at depth M).
    public func nodeCount(depth: Int) -> Int { codes[depth].count }

    /// The children of node `node` at depth `depth` < M: node indices at depth `depth + 1`, in
    /// code order.
    public func children(of node: Int, depth: Int) -> Range<Int> {
        Int(firstChild[depth][node])..<Int(firstChild[depth][node + 1])
    }

    /// Node `node`'s code for digit `depth − 1` (`depth` ≥ 1).
    public func code(of node: Int, depth: Int) -> Int32 { codes[depth][node] }

    /// Node `node`'s parent at depth `depth − 1` (`depth` ≥ 1).
    public func parent(of node: Int, depth: Int) -> Int { Int(parents[depth][node]) }

    /// The child of node `node` (depth `depth` < M) with code `code`, or nil: a binary search.
    public func child(of node: Int, depth: Int, code: Int32) -> Int? {
        let level = codes[depth + 1]
        var range = children(of: node, depth: depth)
        while !range.isEmpty {
            let middle = range.lowerBound + range.count / 2
            if level[middle] == code { return middle }
            range =
                level[middle] < code ? (middle + 1)..<range.upperBound : range.lowerBound..<middle
        }
        return nil
    }

    /// The codes of node `node`'s prefix, `[depth]`.
    public func prefix(of node: Int, depth: Int) -> [Int32] {
        var prefix = [Int32](repeating: 0, count: depth)
        var current = node
        for level in stride(from: depth, to: 0, by: -1) {
            prefix[level - 1] = codes[level][current]
            current = Int(parents[level][current])
        }
        return prefix
    }

    /// The items of leaf `leaf` (a node at depth M), in id order.
    public func items(ofLeaf leaf: Int) -> ArraySlice<Int32> {
        leafItems[Int(firstItem[leaf])..<Int(firstItem[leaf + 1])]
    }

    /// The node at the end of `prefix`, or nil when no item's tuple starts with it.
    public func node(prefix: some Sequence<Int32>) -> Int? {
        var node = 0
        var depth = 0
        for code in prefix {
            guard depth < digits, let next = child(of: node, depth: depth, code: code) else {
                return nil
            }
            node = next
            depth += 1
        }
        return node
    }

    /// The items whose tuple is `codes` (`[M]`), in id order; empty when the tuple names no item.
    public func items(codes tuple: [Int32]) -> ArraySlice<Int32> {
        guard tuple.count == digits, let leaf = node(prefix: tuple) else { return [] }
        return items(ofLeaf: leaf)
    }
}
