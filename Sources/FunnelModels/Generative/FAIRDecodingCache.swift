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
    private var graphCache: (checksum: UInt64, decoder: GraphConstrainedDecoder)?

    init(codes: SemanticIDs) {
        self.codes = codes
        scorer = ExhaustiveItemScorer(codes)
        trie = SemanticIDTrie(codes)
    }

    /// RPG's graph decoder over the current token embeddings.
    /// - Parameters:
    ///   - tokenTable: `[V, D]` the token embeddings; the digits' rows are `1 ..< 1 + Σ_k K_k`.
    func graphDecoder(tokenTable: Tensor, options: GraphConstrainedDecoder.Options) -> GraphConstrainedDecoder {
        let width = tokenTable.shape[1]
        let rows = codes.digitSizes.reduce(0, +)
        let values = Array(tokenTable.scalars[width..<((1 + rows) * width)])
        var checksum: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in values { checksum = (checksum ^ UInt64(value.bitPattern)) &* 0x0100_0000_01B3 }
        if let graphCache, graphCache.checksum == checksum, graphCache.decoder.options == options { return graphCache.decoder }
        let decoder = GraphConstrainedDecoder(semanticIDs: codes, tokenEmbeddings: values, dimensions: width, options: options)
        graphCache = (checksum, decoder)
        return decoder
    }
}
