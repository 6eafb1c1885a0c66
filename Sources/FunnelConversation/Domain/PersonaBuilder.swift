import Foundation
import FunnelTensor

/// Builds the train and test personas of a domain from its users' ratings (conversational.md
/// §2.1: "Users are sampled from real review data … Target items are the user's items rated
/// >= 4.0"; evaluation uses `targetIds[0]`).
///
/// [ASSUMED] The paper asks an LLM to extract each persona from the user's interacted items.
/// Here the behaviour trait and the linguistic trait are drawn with a seeded
/// ``RandomGenerator`` and the preferences are summarised deterministically from the liked
/// items, since a 135M model's extraction would be noise. The same seed gives identical personas.
///
/// The steps:
/// 1. A user's liked items are their distinct catalogue items rated at least
///    ``Options/likedThreshold`` (ratings of items missing from the catalogue are skipped);
///    users with at least ``Options/minimumLikedItems`` are eligible.
/// 2. Eligible users are ordered by id (numerically when both ids are integers), shuffled
///    with the generator; the first ``Options/testCount`` become `test-0000` …, the next
///    ``Options/trainCount`` `train-0000` ….
/// 3. Liked items are ordered most recent first (ties by catalogue order; an item liked twice
///    counts at its latest time); the first ``Options/targetCount`` are the targets, the next
///    ``Options/likedTitleCount`` give ``Persona/likedTitles``.
/// 4. Preferences: the 3 commonest genres and the 3 commonest catalogue tags (lower-cased)
///    among the liked items, ties alphabetical, each clause omitted when empty.
/// 5. For each persona, test first, the generator draws the behaviour then the linguistics.
public struct PersonaBuilder: Sendable {
    public struct Options: Sendable, Equatable, Codable {
        /// The seed of the shuffle and of the trait draws.
        public var seed: UInt64
        public var trainCount: Int
        public var testCount: Int
        /// The lowest rating that counts as liked (§2.1: 4.0).
        public var likedThreshold: Double
        /// The fewest liked items a user needs to be eligible.
        public var minimumLikedItems: Int
        /// The most liked titles a persona lists.
        public var likedTitleCount: Int
        /// The most targets a persona holds.
        public var targetCount: Int

        public init(
            seed: UInt64 = 0, trainCount: Int = 40, testCount: Int = 20,
            likedThreshold: Double = 4.0,
            minimumLikedItems: Int = 10, likedTitleCount: Int = 8, targetCount: Int = 3
        ) {
            self.seed = seed
            self.trainCount = trainCount
            self.testCount = testCount
            self.likedThreshold = likedThreshold
            self.minimumLikedItems = minimumLikedItems
            self.likedTitleCount = likedTitleCount
            self.targetCount = targetCount
        }

        /// Decodes a JSON object whose absent keys take the defaults.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Options()
            seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
            trainCount =
                try container.decodeIfPresent(Int.self, forKey: .trainCount) ?? defaults.trainCount
            testCount =
                try container.decodeIfPresent(Int.self, forKey: .testCount) ?? defaults.testCount
            likedThreshold =
                try container.decodeIfPresent(Double.self, forKey: .likedThreshold)
                ?? defaults.likedThreshold
            minimumLikedItems =
                try container.decodeIfPresent(Int.self, forKey: .minimumLikedItems)
                ?? defaults.minimumLikedItems
            likedTitleCount =
                try container.decodeIfPresent(Int.self, forKey: .likedTitleCount)
                ?? defaults.likedTitleCount
            targetCount =
                try container.decodeIfPresent(Int.self, forKey: .targetCount)
                ?? defaults.targetCount
        }
    }

    /// The linguistic traits a persona is drawn from (§2.1's `Linguistics`).
    public static let linguisticTraits = [
        "Writes short, casual messages in lower case.",
        "Writes polite, complete sentences and thanks the assistant.",
        "Writes tersely, often just a few keywords without punctuation.",
        "Writes enthusiastically, with exclamation marks and the odd emoji.",
        "Writes long messages that explain the reasons behind each preference.",
        "Writes hesitantly, hedging with phrases such as \"maybe\" and \"I'm not sure\".",
    ]

    public let options: Options

    public init(options: Options) {
        self.options = options
    }

    /// The personas of the domain.
    /// - Throws: ``ConversationError`` naming the catalogue and how many users are eligible
    ///   when fewer than `testCount + trainCount` are, or naming an option that is negative.
    public func build(catalogue: ItemCatalogue, histories: [UserHistory]) throws -> (
        train: [Persona], test: [Persona]
    ) {
        let counts = [
            ("trainCount", options.trainCount), ("testCount", options.testCount),
            ("likedTitleCount", options.likedTitleCount), ("targetCount", options.targetCount),
        ]
        for (name, count) in counts where count < 0 {
            throw ConversationError(
                location: "persona options, field \"\(name)\"",
                reason: "expected a count >= 0, found \(count)")
        }
        var eligible = histories.compactMap { history -> (userId: String, liked: [Int])? in
            let liked = likedPositions(history, in: catalogue)
            return liked.count >= max(options.minimumLikedItems, 1) ? (history.userId, liked) : nil
        }
        let needed = options.testCount + options.trainCount
        guard eligible.count >= needed else {
            throw ConversationError.file(
                catalogue.name,
                "only \(eligible.count) users have at least \(options.minimumLikedItems) items rated >= "
                    + "\(options.likedThreshold); expected \(options.testCount) test + \(options.trainCount) train = \(needed)"
            )
        }
        eligible.sort { UserHistory.identifier($0.userId, precedes: $1.userId) }
        var generator = RandomGenerator(seed: options.seed)
        for index in stride(from: eligible.count - 1, to: 0, by: -1) {
            eligible.swapAt(index, Self.uniformIndex(below: index + 1, using: &generator))
        }
        let split = [
            ("test", eligible[0..<options.testCount]),
            ("train", eligible[options.testCount..<needed]),
        ]
        let personas = split.map { name, users in
            users.enumerated().map { position, user in
                persona(
                    id: name + "-" + Self.padded(position), userId: user.userId, liked: user.liked,
                    catalogue: catalogue, generator: &generator)
            }
        }
        return (train: personas[1], test: personas[0])
    }

    /// The catalogue positions of the user's liked items, most recent first, ties by position.
    private func likedPositions(_ history: UserHistory, in catalogue: ItemCatalogue) -> [Int] {
        var latest: [Int: Int] = [:]
        for rating in history.ratings where rating.rating >= options.likedThreshold {
            guard let position = catalogue.position(of: rating.itemId) else { continue }
            latest[position] = max(latest[position] ?? Int.min, rating.timestamp)
        }
        return latest.keys.sorted { (latest[$0]!, -$0) > (latest[$1]!, -$1) }
    }

    private func persona(
        id: String, userId: String, liked: [Int], catalogue: ItemCatalogue,
        generator: inout RandomGenerator
    ) -> Persona {
        let targets = liked.prefix(options.targetCount)
        let others = liked.dropFirst(options.targetCount).prefix(options.likedTitleCount)
        let traits = BehaviourTrait.allCases
        let behaviour = traits[Self.uniformIndex(below: traits.count, using: &generator)]
        let linguistics = Self.linguisticTraits[
            Self.uniformIndex(below: Self.linguisticTraits.count, using: &generator)]
        let likedItems = liked.map { catalogue.items[$0] }
        return Persona(
            id: id, userId: userId, behaviour: behaviour, linguistics: linguistics,
            preferences: Self.preferences(of: likedItems),
            likedTitles: others.map { catalogue.items[$0].title },
            targetIds: targets.map { catalogue.items[$0].id })
    }

    /// "Enjoys Comedy, Drama and Romance; often likes items tagged: quirky, dark comedy."
    static func preferences(of items: [CatalogueItem]) -> String {
        let genres = commonest(items.flatMap(\.genres), count: 3)
        let tags = commonest(items.flatMap { $0.tags.map { $0.lowercased() } }, count: 3)
        var clauses: [String] = []
        if !genres.isEmpty { clauses.append("Enjoys " + listed(genres)) }
        if !tags.isEmpty {
            clauses.append(
                (clauses.isEmpty ? "Often" : "often") + " likes items tagged: "
                    + tags.joined(separator: ", "))
        }
        return clauses.isEmpty
            ? "Has no stated genre preferences." : clauses.joined(separator: "; ") + "."
    }

    /// The `count` commonest values, ties alphabetical.
    private static func commonest(_ values: [String], count: Int) -> [String] {
        var counts: [String: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return Array(counts.keys.sorted { (counts[$0]!, $1) > (counts[$1]!, $0) }.prefix(count))
    }

    /// "A", "A and B", "A, B and C".
    private static func listed(_ values: [String]) -> String {
        values.count <= 1
            ? values.joined() : values.dropLast().joined(separator: ", ") + " and " + values.last!
    }

    private static func padded(_ position: Int) -> String {
        let digits = String(position)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// A uniform draw from `0..<bound` by rejection, written out (not `Int.random(in:using:)`,
    /// whose algorithm the standard library may change) so that a seed's personas never change.
    static func uniformIndex(below bound: Int, using generator: inout RandomGenerator) -> Int {
        let range = UInt64(bound)
        let limit = UInt64.max - UInt64.max % range
        while true {
            let value = generator.next()
            if value < limit { return Int(value % range) }
        }
    }
}
