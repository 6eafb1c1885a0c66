import FunnelData
import FunnelTensor

/// What FAIR's decoders reuse between evaluation batches (sequential.md §4.5): the exhaustive
/// scorer's gather table and the trie, built once from the semantic IDs, and RPG's item graph,
/// rebuilt only when the token embeddings it is computed from have changed (a checksum of their
/// bits, so a training step in between invalidates it).
final class FAIRDecodingCache: @unchecked Sendable {
    let scorer: ExhaustiveItemScorer
    let trie: SemanticIDTrie
    private let codes: SemanticIDs
    private var graphCache: (checksum: UInt64, edges: Int, graph: SemanticIDGraph)?

    init(codes: SemanticIDs) {
        self.codes = codes
        scorer = ExhaustiveItemScorer(codes)
        trie = SemanticIDTrie(codes)
    }

    /// The `edges`-nearest-neighbour item graph of the current token embeddings.
    /// - Parameters:
    ///   - tokenTable: `[V, D]` the token embeddings.
    ///   - ranges: digit k's rows of the table (`T_k`).
    func graph(tokenTable: Tensor, ranges: [Range<Int>], edges: Int) -> SemanticIDGraph {
        let values = tokenTable.scalars
        var checksum: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in values { checksum = (checksum ^ UInt64(value.bitPattern)) &* 0x0100_0000_01B3 }
        if let graphCache, graphCache.checksum == checksum, graphCache.edges == edges { return graphCache.graph }
        let width = tokenTable.shape[1]
        let tables = ranges.map { Array(values[($0.lowerBound * width)..<($0.upperBound * width)]) }
        let graph = SemanticIDGraph(codes, tokenEmbeddings: tables, dimensions: width, edges: edges)
        graphCache = (checksum, edges, graph)
        return graph
    }
}
