import Foundation

/// One item of a conversational recommendation catalogue (conversational.md §2.1: the item
/// database the agent retrieves from): a film of MovieLens, or a book, game or business of a
/// converted Amazon or Yelp set.
public struct CatalogueItem: Codable, Sendable, Equatable {
    /// The source's identifier (MovieLens `movieId`, an ASIN, a Yelp business id).
    public var id: String
    public var title: String
    /// The item's genres or categories, in source order.
    public var genres: [String]
    /// Free-text tags users gave the item, distinct, in first-seen order.
    public var tags: [String]

    public init(id: String, title: String, genres: [String], tags: [String]) {
        self.id = id
        self.title = title
        self.genres = genres
        self.tags = tags
    }

    /// The text embedded for retrieval (§2.1: items are encoded with all-MiniLM-L6-v2):
    /// `"Title. Genres: a, b. Tags: x, y."`, each of the last two parts omitted when empty.
    public var text: String {
        var parts = [title + "."]
        if !genres.isEmpty { parts.append("Genres: " + genres.joined(separator: ", ") + ".") }
        if !tags.isEmpty { parts.append("Tags: " + tags.joined(separator: ", ") + ".") }
        return parts.joined(separator: " ")
    }
}
