import FunnelData
import FunnelModels
import FunnelTensor
import Testing

/// RPG's graph-constrained decoding: the graph's edges, real and seeded results, and the
/// exhaustive top-K when the beam covers a complete graph.
@Suite struct GraphConstrainedDecoderTests {
    static let sizes = [5, 4, 6]

    static func decoder(itemCount: Int, options: GraphConstrainedDecoder.Options, seed: UInt64) -> (
        SemanticIDs, [Float], GraphConstrainedDecoder
    ) {
        let semanticIDs = DecodingFixtures.semanticIDs(
            itemCount: itemCount, digitSizes: sizes, duplicates: itemCount / 10, seed: seed)
        let embeddings = DecodingFixtures.tokenEmbeddings(
            digitSizes: sizes, dimensions: 6, seed: seed + 1)
        return (
            semanticIDs, embeddings,
            GraphConstrainedDecoder(
                semanticIDs: semanticIDs, tokenEmbeddings: embeddings, dimensions: 6,
                options: options)
        )
    }

    @Test func neighboursAreTheMostSimilarItems() {
        let (semanticIDs, embeddings, decoder) = Self.decoder(
            itemCount: 90, options: .init(edges: 7), seed: 40)
        let tables = GraphConstrainedDecoder.tokenSimilarities(
            tokenEmbeddings: embeddings, dimensions: 6, digitSizes: Self.sizes)
        #expect(decoder.neighbourCount == 7)
        func similarity(_ first: Int, _ second: Int) -> Float {
            var total: Float = 0
            var start = 0
            for (digit, size) in Self.sizes.enumerated() {
                total +=
                    tables[
                        start + Int(semanticIDs.code(item: first, digit: digit)) * size
                            + Int(semanticIDs.code(item: second, digit: digit))]
                start += size * size
            }
            return total
        }
        for item in 1...90 {
            let expected = (1...90).filter { $0 != item }.sorted {
                let (left, right) = (similarity(item, $0), similarity(item, $1))
                return left != right ? left > right : $0 < $1
            }
            #expect(decoder.neighbours(of: item).map(Int.init) == Array(expected.prefix(7)))
        }
        // (cos + 1) / 2 lies in [0, 1] and a token is fully similar to itself.
        #expect(tables.allSatisfy { $0 >= -1e-6 && $0 <= 1 + 1e-6 })
        #expect(abs(tables[0] - 1) < 1e-6)
    }

    @Test(arguments: 0..<6)
    func returnsRealItemsDeterministicallyPerSeed(seed: Int) {
        let (_, _, decoder) = Self.decoder(
            itemCount: 200, options: .init(edges: 8, beams: 10, propagationSteps: 3),
            seed: UInt64(seed) + 50)
        let logProbabilities = DecodingFixtures.logProbabilities(
            users: 3, digitSizes: Self.sizes, seed: UInt64(seed) + 51)
        let first = decoder.decode(logProbabilities, count: 10, seed: UInt64(seed))
        #expect(first == decoder.decode(logProbabilities, count: 10, seed: UInt64(seed)))
        for (user, results) in first.enumerated() {
            #expect(results.count == 10)
            #expect(Set(results.map(\.item)).count == 10)
            for result in results {
                #expect((1...200).contains(result.item))
                #expect(
                    result.score
                        == decoder.scorer.score(item: result.item, logProbabilities, user: user))
            }
            #expect(results == results.sorted(by: ScoredItem.ranksBefore))
            var generator = RandomGenerator(seed: UInt64(seed), epoch: 0, step: user)
            #expect(
                decoder.decode(logProbabilities, user: user, count: 10, using: &generator)
                    == results)
        }
    }

    @Test(arguments: 0..<4)
    func wideBeamsOnACompleteGraphGiveTheExhaustiveTopK(seed: Int) {
        let (semanticIDs, _, decoder) = Self.decoder(
            itemCount: 40, options: .init(edges: 39, beams: 40, propagationSteps: 1),
            seed: UInt64(seed) + 60)
        let logProbabilities = DecodingFixtures.logProbabilities(
            users: 2, digitSizes: Self.sizes, levels: 1, seed: UInt64(seed) + 61)
        let scorer = ExhaustiveItemScorer(semanticIDs)
        let decoded = decoder.decode(logProbabilities, count: 10, seed: UInt64(seed))
        #expect(decoded == scorer.topItems(logProbabilities, count: 10))
        #expect(decoded[1].count == 10)
    }

    @Test func theWalkImprovesOnItsRandomStart() {
        let (semanticIDs, _, decoder) = Self.decoder(
            itemCount: 300, options: .init(edges: 20, beams: 10, propagationSteps: 4), seed: 70)
        let none = GraphConstrainedDecoder(
            semanticIDs: semanticIDs,
            tokenEmbeddings: DecodingFixtures.tokenEmbeddings(
                digitSizes: Self.sizes, dimensions: 6, seed: 71),
            dimensions: 6, options: .init(edges: 20, beams: 10, propagationSteps: 0))
        let logProbabilities = DecodingFixtures.logProbabilities(
            users: 8, digitSizes: Self.sizes, seed: 72)
        let walked = decoder.decode(logProbabilities, count: 1, seed: 1)
        let started = none.decode(logProbabilities, count: 1, seed: 1)
        // Same seed, same start: the walk re-scores the beam, so its best never gets worse.
        for user in 0..<8 { #expect(walked[user][0].score >= started[user][0].score) }
        #expect(zip(walked, started).contains { $0[0].score > $1[0].score })
    }

    @Test func theBestScoreNeverFallsFromStepToStep() {
        let semanticIDs = DecodingFixtures.semanticIDs(
            itemCount: 120, digitSizes: Self.sizes, seed: 80)
        let embeddings = DecodingFixtures.tokenEmbeddings(
            digitSizes: Self.sizes, dimensions: 6, seed: 81)
        let logProbabilities = DecodingFixtures.logProbabilities(
            users: 16, digitSizes: Self.sizes, seed: 82)
        var previous: [[ScoredItem]]?
        for steps in 0...4 {
            // One edge and two beams: a walk that dropped its own beam would often get worse.
            let decoder = GraphConstrainedDecoder(
                semanticIDs: semanticIDs, tokenEmbeddings: embeddings, dimensions: 6,
                options: .init(edges: 1, beams: 2, propagationSteps: steps))
            let decoded = decoder.decode(logProbabilities, count: 1, seed: 5)
            if let previous {
                for user in 0..<16 { #expect(decoded[user][0].score >= previous[user][0].score) }
            }
            previous = decoded
        }
    }
}
