import Foundation

/// The agent's item search (conversational.md §2.1: the item database "encoded with
/// `all-MiniLM-L6-v2` sentence embeddings in a FAISS index"; the agent's `Search[...]` action
/// returns its nearest items). An exact inner-product search over L2-normalised embeddings,
/// that is cosine similarity, in place of FAISS: a few thousand items need no index.
///
/// ``embeddings`` holds `[items.count × dimension]` values, row `i` the embedding of
/// `items[i].text`.
public struct ItemRetriever: Sendable {
    public let items: [CatalogueItem]
    public let dimension: Int
    /// The item embeddings, flat, `[items.count × dimension]`, each row L2-normalised.
    public let embeddings: [Float]
    let embedder: any TextEmbedder

    /// Embeds every item's ``CatalogueItem/text`` and L2-normalises it.
    /// - Precondition: the embedder returns one embedding of its dimension per text.
    public init(items: [CatalogueItem], embedder: any TextEmbedder) {
        let vectors = items.isEmpty ? [] : embedder.embed(items.map(\.text))
        precondition(
            vectors.count == items.count && vectors.allSatisfy { $0.count == embedder.dimension },
            "Funnel: the embedder returned \(vectors.count) embeddings for \(items.count) items, or not of width \(embedder.dimension)"
        )
        self.items = items
        self.dimension = embedder.dimension
        self.embeddings = vectors.flatMap(Self.normalised)
        self.embedder = embedder
    }

    /// Uses precomputed embeddings (`[items.count × embedder.dimension]`, already
    /// L2-normalised as the other initialiser makes them), stored as given.
    /// - Throws: ``ConversationError`` when the count of values is not
    ///   `items.count × embedder.dimension`.
    public init(items: [CatalogueItem], embeddings: [Float], embedder: any TextEmbedder) throws {
        guard embeddings.count == items.count * embedder.dimension else {
            throw ConversationError(
                location: "item retriever",
                reason:
                    "\(embeddings.count) embedding values for \(items.count) items of dimension "
                    + "\(embedder.dimension); expected \(items.count * embedder.dimension)")
        }
        self.items = items
        self.dimension = embedder.dimension
        self.embeddings = embeddings
        self.embedder = embedder
    }

    /// The `count` items most similar to the query by cosine similarity, most similar first,
    /// ties broken by the lower item index; fewer when the catalogue has fewer items.
    public func search(_ query: String, count: Int = 5) -> [CatalogueItem] {
        guard count > 0, !items.isEmpty, let vector = embedder.embed([query]).first,
            vector.count == dimension
        else { return [] }
        let queryVector = Self.normalised(vector)
        let scores = embeddings.withUnsafeBufferPointer { rows in
            (0..<items.count).map { item in
                var score: Float = 0
                let start = item * dimension
                for position in 0..<dimension {
                    score += rows[start + position] * queryVector[position]
                }
                // A NaN score (a zero or broken embedding) ranks last instead of breaking the order.
                return score.isNaN ? -Float.infinity : score
            }
        }
        let ranked = scores.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }
        return ranked.prefix(count).map { items[$0] }
    }

    /// What the agent sees after `Search[...]`: one line per item,
    /// `1. Title — Genres: a, b; Tags: x, y`, the genre and tag parts omitted when empty; for no
    /// items, `No matching items.`
    public static func observation(_ items: [CatalogueItem]) -> String {
        guard !items.isEmpty else { return "No matching items." }
        return items.enumerated().map { position, item in
            var details: [String] = []
            if !item.genres.isEmpty {
                details.append("Genres: " + item.genres.joined(separator: ", "))
            }
            if !item.tags.isEmpty { details.append("Tags: " + item.tags.joined(separator: ", ")) }
            let line = "\(position + 1). \(item.title)"
            return details.isEmpty ? line : line + " — " + details.joined(separator: "; ")
        }.joined(separator: "\n")
    }

    /// The vector divided by its L2 norm; a zero vector stays zero.
    static func normalised(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
