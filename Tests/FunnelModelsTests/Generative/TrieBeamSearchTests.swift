import FunnelData
import FunnelModels
import FunnelTensor
import Testing

/// Trie-constrained beam search: only valid IDs, the exhaustive ranking when nothing is pruned,
/// and the autoregressive contract (valid prefixes, one call per digit).
@Suite struct TrieBeamSearchTests {
    @Test(arguments: 0..<24)
    func neverLeavesTheTrie(seed: Int) {
        var generator = RandomGenerator(seed: UInt64(seed))
        let sizes = (0..<Int.random(in: 1...5, using: &generator)).map { _ in
            Int.random(in: 1...6, using: &generator)
        }
        let itemCount = Int.random(in: 1...60, using: &generator)
        let semanticIDs = DecodingFixtures.semanticIDs(
            itemCount: itemCount, digitSizes: sizes, duplicates: itemCount / 4,
            ordered: seed % 2 == 0, seed: UInt64(seed) + 1)
        let tuples = DecodingFixtures.tuples(semanticIDs)
        var validPrefixes = Set<[Int32]>()
        for item in 1...itemCount {
            for depth in 0...sizes.count { validPrefixes.insert(Array(tuples[item].prefix(depth))) }
        }
        let search = TrieBeamSearch(
            trie: SemanticIDTrie(semanticIDs),
            options: .init(beamWidth: Int.random(in: 1...8, using: &generator)))
        var model = RandomGenerator(seed: UInt64(seed) + 2)
        var calls = 0
        let results = search.search(count: 10) { step in
            #expect(step.digit == calls)
            calls += 1
            for prefix in step.prefixes {
                #expect(prefix.count == step.digit && validPrefixes.contains(prefix))
            }
            return step.prefixes.map { _ in
                DigitLogProbabilities(
                    logits: (0..<sizes[step.digit]).map { _ in model.nextNormal() },
                    digitSizes: [sizes[step.digit]]
                ).values
            }
        }
        #expect(calls == sizes.count)
        #expect(!results.isEmpty && results.count <= 10)
        #expect(Set(results.map(\.item)).count == results.count)
        for result in results { #expect((1...itemCount).contains(result.item)) }
        // With fixed tables the returned items carry their exhaustive scores.
        let logProbabilities = DecodingFixtures.logProbabilities(
            digitSizes: sizes, seed: UInt64(seed) + 3)
        let scorer = ExhaustiveItemScorer(semanticIDs)
        for result in search.search(logProbabilities, user: 0, count: 10) {
            #expect(result.score == scorer.score(item: result.item, logProbabilities))
        }
    }

    @Test(arguments: 0..<12)
    func wideBeamEqualsTheExhaustiveRanking(seed: Int) {
        let sizes = seed % 3 == 0 ? [4, 3, 4, 2, 3] : [6, 5, 4]
        let itemCount = 50 + seed * 7
        let semanticIDs = DecodingFixtures.semanticIDs(
            itemCount: itemCount, digitSizes: sizes, duplicates: 10, ordered: seed % 2 == 0,
            seed: UInt64(seed) + 20)
        // Coarse logits make many different tuples tie too.
        let logProbabilities = DecodingFixtures.logProbabilities(
            users: 2, digitSizes: sizes, levels: seed % 2 == 0 ? 1 : nil, seed: UInt64(seed) + 21)
        let search = TrieBeamSearch(
            trie: SemanticIDTrie(semanticIDs), options: .init(beamWidth: itemCount))
        let scorer = ExhaustiveItemScorer(semanticIDs)
        for count in [1, 10, itemCount] {
            #expect(
                search.search(logProbabilities, count: count)
                    == scorer.topItems(logProbabilities, count: count))
            #expect(
                search.search(logProbabilities, user: 0, count: count)
                    == scorer.topItems(logProbabilities, user: 0, count: count))
        }
        #expect(
            search.search(logProbabilities, user: 1, count: itemCount)
                == scorer.topItems(logProbabilities, user: 1, count: itemCount))
    }

    @Test func autoregressivePrefixesChainThroughParentsAndFixedRowsMatchTables() {
        let sizes = [4, 4, 4, 4]
        let semanticIDs = DecodingFixtures.semanticIDs(
            itemCount: 70, digitSizes: sizes, duplicates: 8, seed: 30)
        let logProbabilities = DecodingFixtures.logProbabilities(digitSizes: sizes, seed: 31)
        let search = TrieBeamSearch(trie: SemanticIDTrie(semanticIDs), options: .init(beamWidth: 5))
        var previous: [[Int32]] = []
        var calls = 0
        let results = search.search(count: 8) { step in
            calls += 1
            #expect(step.prefixes.count <= 5)
            if step.digit == 0 {
                #expect(step.prefixes == [[]] && step.parents.isEmpty)
            } else {
                #expect(step.parents.count == step.prefixes.count)
                for (prefix, parent) in zip(step.prefixes, step.parents) {
                    #expect(Array(prefix.dropLast()) == previous[parent])
                }
            }
            previous = step.prefixes
            return step.prefixes.map { _ in Array(logProbabilities.row(digit: step.digit)) }
        }
        #expect(calls == 4)
        #expect(results == search.search(logProbabilities, user: 0, count: 8))
    }

    @Test func noItemsGiveNoResultsAndNoCalls() {
        let semanticIDs = SemanticIDs(
            method: "test", digitSizes: [3, 3], ordered: true, trainedItems: 0, source: "test",
            codes: [0, 0])
        let search = TrieBeamSearch(trie: SemanticIDTrie(semanticIDs))
        var calls = 0
        #expect(
            search.search(count: 5) { _ in
                calls += 1; return []
            }.isEmpty)
        #expect(calls == 0)
    }
}
