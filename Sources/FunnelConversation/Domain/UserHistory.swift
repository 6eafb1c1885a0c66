import Foundation

/// One rating a user gave an item (a MovieLens rating, an Amazon or Yelp review's stars).
public struct UserRating: Sendable, Equatable {
    public var itemId: String
    /// The rating on the source's scale (MovieLens and Amazon: 0.5 or 1 to 5).
    public var rating: Double
    /// Seconds since 1970 (the sources' Unix timestamps).
    public var timestamp: Int

    public init(itemId: String, rating: Double, timestamp: Int) {
        self.itemId = itemId
        self.rating = rating
        self.timestamp = timestamp
    }
}

/// A user's ratings in file order (conversational.md §2.1: "Users are sampled from real review
/// data").
public struct UserHistory: Sendable, Equatable {
    public var userId: String
    public var ratings: [UserRating]

    public init(userId: String, ratings: [UserRating]) {
        self.userId = userId
        self.ratings = ratings
    }

    /// Whether `first` sorts before `second` as identifiers: numerically when both are
    /// integers (so user "9" precedes "10"), otherwise as strings.
    static func identifier(_ first: String, precedes second: String) -> Bool {
        if let firstNumber = Int(first), let secondNumber = Int(second), firstNumber != secondNumber
        {
            return firstNumber < secondNumber
        }
        return first < second
    }

    /// Groups ratings by user, users in ascending identifier order, each user's ratings in
    /// the order given.
    static func grouped(_ ratings: [(userId: String, rating: UserRating)]) -> [UserHistory] {
        var byUser: [String: [UserRating]] = [:]
        for entry in ratings { byUser[entry.userId, default: []].append(entry.rating) }
        return byUser.keys.sorted { identifier($0, precedes: $1) }.map {
            UserHistory(userId: $0, ratings: byUser[$0] ?? [])
        }
    }
}
