import Foundation
import Testing

@testable import FunnelConversation

@Suite struct PersonaBuilderTests {
    /// 30 films cycling through three genre pairs, every third tagged "quirky".
    private let catalogue = try! ItemCatalogue(
        name: "fixture",
        items: (0..<30).map { index in
            let genres = [["Comedy", "Drama"], ["Drama", "Romance"], ["Action", "Drama"]][index % 3]
            return CatalogueItem(
                id: "\(index + 1)", title: "Film \(index + 1)", genres: genres,
                tags: index % 3 == 0 ? ["Quirky", "dark comedy"] : ["slow"])
        })

    /// Users 1 to 12 like 12 films each at increasing times (in shuffled file order), with a
    /// disliked film and a film missing from the catalogue; user 13 likes only 2.
    private var histories: [UserHistory] {
        var histories = (1...12).map { user in
            var ratings = (0..<12).map { step in
                UserRating(
                    itemId: "\((user * 7 + step * 7) % 30 + 1)",
                    rating: 4.0 + Double(step % 3) * 0.5, timestamp: 1_000 * user + step * 10)
            }
            ratings.append(UserRating(itemId: "\(user % 30 + 1)", rating: 2.0, timestamp: 999_999))
            ratings.append(UserRating(itemId: "missing", rating: 5.0, timestamp: 999_999))
            var generator = SplitMix(state: UInt64(user))
            return UserHistory(userId: "\(user)", ratings: ratings.shuffled(using: &generator))
        }
        histories.append(
            UserHistory(
                userId: "13",
                ratings: [
                    UserRating(itemId: "1", rating: 5, timestamp: 1),
                    UserRating(itemId: "2", rating: 5, timestamp: 2),
                ]))
        return histories
    }

    private func options(seed: UInt64 = 7) -> PersonaBuilder.Options {
        .init(
            seed: seed, trainCount: 6, testCount: 4, minimumLikedItems: 10, likedTitleCount: 5,
            targetCount: 3)
    }

    @Test func theSameSeedGivesIdenticalPersonasAndAnotherSeedOthers() throws {
        let first = try PersonaBuilder(options: options()).build(
            catalogue: catalogue, histories: histories)
        let second = try PersonaBuilder(options: options()).build(
            catalogue: catalogue, histories: histories)
        let other = try PersonaBuilder(options: options(seed: 8)).build(
            catalogue: catalogue, histories: histories)
        #expect(first.train == second.train)
        #expect(first.test == second.test)
        #expect(first.train + first.test != other.train + other.test)
        #expect(first.test.map(\.id) == ["test-0000", "test-0001", "test-0002", "test-0003"])
        #expect(first.train.map(\.id).last == "train-0005")
        let users = (first.test + first.train).map(\.userId)
        #expect(Set(users).count == 10)
        #expect(!users.contains("13"))
    }

    @Test func targetsAreTheMostRecentLikedItemsAndNeverAmongTheLikedTitles() throws {
        let built = try PersonaBuilder(options: options()).build(
            catalogue: catalogue, histories: histories)
        let byUser = Dictionary(uniqueKeysWithValues: histories.map { ($0.userId, $0) })
        for persona in built.train + built.test {
            let liked = byUser[persona.userId]!.ratings.filter {
                $0.rating >= 4 && catalogue.item(id: $0.itemId) != nil
            }
            let latest = liked.max { $0.timestamp < $1.timestamp }!
            #expect(persona.targetIds.count == 3)
            #expect(persona.targetIds[0] == latest.itemId)
            let targetTitles = persona.targetIds.map { catalogue.item(id: $0)!.title }
            #expect(Set(targetTitles).isDisjoint(with: persona.likedTitles))
            #expect(persona.likedTitles.count == 5)
            #expect(BehaviourTrait.allCases.contains(persona.behaviour))
            #expect(PersonaBuilder.linguisticTraits.contains(persona.linguistics))
        }
    }

    @Test func tiesInTimeGoByCatalogueOrderAndPreferencesCountGenresAndTags() throws {
        let ratings =
            [5, 3, 9, 1, 4, 7].map { UserRating(itemId: "\($0)", rating: 5, timestamp: 100) }
            + [UserRating(itemId: "2", rating: 4.5, timestamp: 50)]
        let options = PersonaBuilder.Options(
            trainCount: 0, testCount: 1, minimumLikedItems: 5, targetCount: 2)
        let built = try PersonaBuilder(options: options).build(
            catalogue: catalogue, histories: [UserHistory(userId: "u", ratings: ratings)])
        let persona = try #require(built.test.first)
        #expect(persona.targetIds == ["1", "3"])
        #expect(persona.likedTitles == ["Film 4", "Film 5", "Film 7", "Film 9", "Film 2"])
        // Films 1, 4 and 7 are Comedy|Drama, 2 and 5 Drama|Romance, 3 and 9 Action|Drama.
        #expect(
            persona.preferences
                == "Enjoys Drama, Comedy and Action; often likes items tagged: slow, dark comedy, quirky."
        )
    }

    @Test func preferencesOmitEmptyClauses() {
        let plain = CatalogueItem(id: "a", title: "A", genres: [], tags: [])
        #expect(PersonaBuilder.preferences(of: [plain]) == "Has no stated genre preferences.")
        let tagged = CatalogueItem(id: "b", title: "B", genres: [], tags: ["cosy"])
        #expect(PersonaBuilder.preferences(of: [tagged]) == "Often likes items tagged: cosy.")
        let drama = CatalogueItem(id: "c", title: "C", genres: ["Drama"], tags: [])
        #expect(PersonaBuilder.preferences(of: [drama]) == "Enjoys Drama.")
    }

    @Test func aNegativeCountIsRefused() {
        let options = PersonaBuilder.Options(testCount: -1)
        #expect(
            throws: ConversationError(
                location: "persona options, field \"testCount\"",
                reason: "expected a count >= 0, found -1")
        ) {
            try PersonaBuilder(options: options).build(catalogue: catalogue, histories: histories)
        }
    }

    @Test func tooFewEligibleUsersAreRefusedWithTheirCount() {
        let options = PersonaBuilder.Options(trainCount: 40, testCount: 20)
        let error = #expect(throws: ConversationError.self) {
            try PersonaBuilder(options: options).build(catalogue: catalogue, histories: histories)
        }
        #expect(
            error?.reason.hasPrefix("only 12 users have at least 10 items rated >= 4.0") == true)
    }

    @Test func optionsDecodeWithDefaultsForAbsentKeys() throws {
        let decoded = try JSONDecoder().decode(
            PersonaBuilder.Options.self, from: Data(#"{"seed": 3, "testCount": 5}"#.utf8))
        #expect(decoded == PersonaBuilder.Options(seed: 3, testCount: 5))
    }
}

/// A tiny seeded generator for shuffling the fixture's ratings out of time order.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
