import Foundation
import FunnelData
import FunnelModels
import FunnelTensor
import Testing

/// Decoding cost per user for N = 10,000 items, K = 256 codes per digit, M = 4 and 32: exhaustive
/// scoring vs trie beam search (W = 20, 50) vs graph-constrained decoding, plus the one-off
/// builds. A measurement, not a timed test: it prints and runs only with FUNNEL_DECODING_COST set
/// (`FUNNEL_DECODING_COST=1 swift test --filter DecodingCostTests`).
@Suite struct DecodingCostTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FUNNEL_DECODING_COST"] != nil))
    func decodingCostPerUser() {
        let itemCount = 10_000
        let users = 8
        for digits in [4, 32] {
            let sizes = [Int](repeating: 256, count: digits)
            let semanticIDs = DecodingFixtures.semanticIDs(
                itemCount: itemCount, digitSizes: sizes, seed: 1)
            let embeddings = DecodingFixtures.tokenEmbeddings(
                digitSizes: sizes, dimensions: 64, seed: 2)
            let logProbabilities = DecodingFixtures.logProbabilities(
                users: users, digitSizes: sizes, seed: 3)
            let clock = ContinuousClock()
            // The best of three runs: the cores are shared, and the minimum is the least disturbed.
            func measure(_ body: () -> Void) -> Duration {
                (0..<3).map { _ in clock.measure(body) }.min()!
            }
            func milliseconds(_ duration: Duration) -> Double {
                Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds)
                    * 1e-15
            }
            var scorer: ExhaustiveItemScorer?
            var trie: SemanticIDTrie?
            var graph: GraphConstrainedDecoder?
            let scorerBuild = clock.measure { scorer = ExhaustiveItemScorer(semanticIDs) }
            let trieBuild = clock.measure { trie = SemanticIDTrie(semanticIDs) }
            let graphBuild = clock.measure {
                graph = GraphConstrainedDecoder(
                    semanticIDs: semanticIDs, tokenEmbeddings: embeddings, dimensions: 64)
            }
            var exhaustive: [[ScoredItem]] = []
            let exhaustiveTime = measure {
                exhaustive = scorer!.topItems(logProbabilities, count: 10)
            }
            var lines = [
                "N = \(itemCount), M = \(digits), K = 256 (debug build, \(users) users, best of 3):",
                String(
                    format:
                        "  build: scorer %.1f ms, trie %.1f ms, graph (edges 50, e = 64) %.1f ms",
                    milliseconds(scorerBuild), milliseconds(trieBuild), milliseconds(graphBuild)),
                String(
                    format: "  exhaustive top-10: %.2f ms/user",
                    milliseconds(exhaustiveTime) / Double(users)),
            ]
            for width in [20, 50] {
                let search = TrieBeamSearch(trie: trie!, options: .init(beamWidth: width))
                var found: [[ScoredItem]] = []
                let time = measure { found = search.search(logProbabilities, count: 10) }
                let recall = zip(found, exhaustive).map {
                    Set($0.map(\.item)).intersection($1.map(\.item)).count
                }.reduce(0, +)
                lines.append(
                    String(
                        format: "  beam W = %d: %.2f ms/user, overlap with exhaustive top-10 %d/%d",
                        width, milliseconds(time) / Double(users), recall, 10 * users))
            }
            var walked: [[ScoredItem]] = []
            let graphTime = measure { walked = graph!.decode(logProbabilities, count: 10, seed: 4) }
            let recall = zip(walked, exhaustive).map {
                Set($0.map(\.item)).intersection($1.map(\.item)).count
            }.reduce(0, +)
            lines.append(
                String(
                    format:
                        "  graph (beams 50, 3 steps): %.2f ms/user, overlap with exhaustive top-10 %d/%d",
                    milliseconds(graphTime) / Double(users), recall, 10 * users))
            print(lines.joined(separator: "\n"))
        }
    }
}
