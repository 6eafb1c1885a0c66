import FunnelData
import FunnelModels
import Testing

/// The trie holds exactly the items' tuples and their prefixes, with duplicates sharing a leaf.
@Suite struct SemanticIDTrieTests {
    @Test(arguments: [true, false])
    func trieHoldsEveryTupleAndNothingElse(ordered: Bool) {
        let sizes = [3, 4, 2, 3]
        let semanticIDs = DecodingFixtures.semanticIDs(
            itemCount: 80, digitSizes: sizes, duplicates: 15, ordered: ordered, seed: 11)
        let trie = SemanticIDTrie(semanticIDs)
        let tuples = DecodingFixtures.tuples(semanticIDs)
        var itemsOfTuple: [[Int32]: [Int32]] = [:]
        for item in 1...80 { itemsOfTuple[tuples[item], default: []].append(Int32(item)) }
        #expect(trie.nodeCount(depth: 0) == 1)
        #expect(trie.nodeCount(depth: sizes.count) == itemsOfTuple.count)
        for (tuple, items) in itemsOfTuple { #expect(Array(trie.items(codes: tuple)) == items) }
        for depth in 1...sizes.count {
            let prefixes = Set(tuples[1...].map { Array($0.prefix(depth)) })
            #expect(trie.nodeCount(depth: depth) == prefixes.count)
            var previous: [Int32]?
            for node in 0..<trie.nodeCount(depth: depth) {
                let prefix = trie.prefix(of: node, depth: depth)
                #expect(prefixes.contains(prefix))
                #expect(trie.node(prefix: prefix) == node)
                // Nodes are numbered in lexicographic order of their prefixes.
                if let previous { #expect(previous.lexicographicallyPrecedes(prefix)) }
                previous = prefix
            }
        }
        // Every full tuple absent from the items is refused.
        var absent = 0
        for a in 0..<3 {
            for b in 0..<4 {
                for c in 0..<2 {
                    for d in 0..<3 {
                        let tuple: [Int32] = [Int32(a), Int32(b), Int32(c), Int32(d)]
                        if itemsOfTuple[tuple] == nil {
                            absent += 1
                            #expect(trie.items(codes: tuple).isEmpty)
                            #expect(trie.node(prefix: tuple) == nil)
                        }
                    }
                }
            }
        }
        #expect(absent > 0)
    }

    @Test func childrenAreCodeSortedAndFoundByCode() {
        let sizes = [5, 5, 5]
        let trie = SemanticIDTrie(
            DecodingFixtures.semanticIDs(itemCount: 60, digitSizes: sizes, duplicates: 5, seed: 12))
        for depth in 0..<sizes.count {
            for node in 0..<trie.nodeCount(depth: depth) {
                let children = trie.children(of: node, depth: depth)
                #expect(!children.isEmpty)
                let codes = children.map { trie.code(of: $0, depth: depth + 1) }
                #expect(codes == codes.sorted() && Set(codes).count == codes.count)
                for child in children {
                    #expect(trie.parent(of: child, depth: depth + 1) == node)
                    #expect(
                        trie.child(
                            of: node, depth: depth, code: trie.code(of: child, depth: depth + 1))
                            == child)
                }
                for code in 0..<Int32(5) where !codes.contains(code) {
                    #expect(trie.child(of: node, depth: depth, code: code) == nil)
                }
            }
        }
    }
}
