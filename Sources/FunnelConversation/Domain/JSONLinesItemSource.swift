import Foundation

/// A domain converted to two plain files, for the Amazon and Yelp sets of conversational.md
/// §2.1 (Book, Game, Yelp) or any other catalogue:
/// - `items`: JSON Lines, one item a line, `{"id": "…", "title": "…", "genres": […], "tags": […]}`
///   with `genres` and `tags` optional (absent means none);
/// - `ratings`: CSV with the header `user,item,rating,timestamp`.
///
/// Histories list users in ascending identifier order (numeric when every id is an integer)
/// and their ratings in file order.
public struct JSONLinesItemSource: ItemSource {
    public let itemsPath: String
    public let ratingsPath: String

    public init(items: String, ratings: String) {
        self.itemsPath = items
        self.ratingsPath = ratings
    }

    /// The catalogue named after the items file, items in file order.
    /// - Throws: ``ConversationError`` naming the line and field of a malformed item, or a
    ///   repeated id.
    public func catalogue() throws -> ItemCatalogue {
        let file = try JSONLinesFile(path: itemsPath)
        var seen: [String: Int] = [:]
        let items = try file.records.map { record in
            let item = CatalogueItem(
                id: try record.string("id"), title: try record.string("title"),
                genres: try record.strings("genres", default: []),
                tags: try record.strings("tags", default: []))
            if let earlier = seen[item.id] {
                throw ConversationError.file(
                    itemsPath, line: record.line, field: "id",
                    "\"\(item.id)\" already occurs on line \(earlier)")
            }
            seen[item.id] = record.line
            return item
        }
        return try ItemCatalogue(
            name: URL(fileURLWithPath: itemsPath).lastPathComponent, items: items)
    }

    /// The users' ratings.
    /// - Throws: ``ConversationError`` naming the line and field of a malformed rating.
    public func histories() throws -> [UserHistory] {
        let table = try CSVTable(path: ratingsPath)
        return UserHistory.grouped(
            try table.ratings(user: "user", item: "item", rating: "rating", timestamp: "timestamp"))
    }
}
