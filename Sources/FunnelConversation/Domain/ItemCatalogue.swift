import Foundation

/// The items of one domain (conversational.md §2.1: "Item database for retrieval"), in source
/// order, each id once, with an O(1) lookup by id.
public struct ItemCatalogue: Sendable {
    /// The domain's name (`movielens-latest-small`, `amazon-books` …), used in messages.
    public let name: String
    /// The items in source order.
    public let items: [CatalogueItem]
    /// Each id's position in ``items``.
    private let positions: [String: Int]

    /// - Throws: ``ConversationError`` naming the catalogue, when an id occurs twice.
    public init(name: String, items: [CatalogueItem]) throws {
        var positions = [String: Int](minimumCapacity: items.count)
        for (position, item) in items.enumerated() {
            if let earlier = positions[item.id] {
                throw ConversationError.file(
                    name, field: "id",
                    "item \"\(item.id)\" occurs twice (items \(earlier + 1) and \(position + 1))")
            }
            positions[item.id] = position
        }
        self.name = name
        self.items = items
        self.positions = positions
    }

    /// The item with this id, or nil.
    public func item(id: String) -> CatalogueItem? {
        position(of: id).map { items[$0] }
    }

    /// The 0-based position of the item with this id in ``items``, or nil.
    public func position(of id: String) -> Int? {
        positions[id]
    }
}
