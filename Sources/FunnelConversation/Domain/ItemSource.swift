import Foundation

/// Where the items and the users' ratings of a domain come from (conversational.md §2.1). An
/// interface, so that another catalogue (a converted Amazon or Yelp set) plugs in.
public protocol ItemSource {
    /// The items, in source order.
    func catalogue() throws -> ItemCatalogue
    /// Every user's ratings, users in ascending identifier order, ratings in file order.
    func histories() throws -> [UserHistory]
}
