import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelConversation

@Suite struct MovieLensSourceTests {
    private func fixtureFolder(ratings: String) throws -> URL {
        let folder = try temporaryFolder()
        try write(fixtureMovies, to: "movies.csv", in: folder)
        try write(fixtureTags, to: "tags.csv", in: folder)
        try write(ratings, to: "ratings.csv", in: folder)
        return folder
    }

    @Test func readsQuotedTitlesNoGenresAndTags() throws {
        let folder = try fixtureFolder(ratings: "userId,movieId,rating,timestamp\n")
        let catalogue = try MovieLensSource(folder: folder.path).catalogue()
        #expect(catalogue.items.map(\.id) == ["1", "2", "6", "10", "17", "25"])
        #expect(catalogue.name == folder.lastPathComponent)
        #expect(catalogue.item(id: "2")?.title == "American President, The (1995)")
        #expect(catalogue.item(id: "2")?.genres == ["Comedy", "Drama", "Romance"])
        #expect(catalogue.item(id: "10")?.title == "Say \"Anything\" (1989)")
        #expect(catalogue.item(id: "25")?.genres == [])
        #expect(catalogue.item(id: "1")?.tags == ["pixar", "toys", "fun, for kids"])
        #expect(catalogue.item(id: "6")?.tags == ["heist"])
        #expect(catalogue.item(id: "99") == nil)
    }

    @Test func keepsAtMostEightDistinctTagsInFirstSeenOrder() throws {
        let folder = try fixtureFolder(ratings: "userId,movieId,rating,timestamp\n")
        let rows = (0..<12).map { "1,17,tag\($0 % 10),\($0)" }
        try write(
            "userId,movieId,tag,timestamp\n" + rows.joined(separator: "\n"), to: "tags.csv",
            in: folder)
        let item = try MovieLensSource(folder: folder.path).catalogue().item(id: "17")
        #expect(item?.tags == (0..<8).map { "tag\($0)" })
    }

    @Test func itemTextOmitsEmptyParts() throws {
        let folder = try fixtureFolder(ratings: "userId,movieId,rating,timestamp\n")
        let catalogue = try MovieLensSource(folder: folder.path).catalogue()
        #expect(
            catalogue.item(id: "6")?.text
                == "Heat (1995). Genres: Action, Crime, Thriller. Tags: heist.")
        #expect(catalogue.item(id: "25")?.text == "Untitled Short (2018).")
        #expect(
            catalogue.item(id: "17")?.text
                == "Sense and Sensibility (1995). Genres: Drama, Romance.")
    }

    @Test func historiesListUsersNumericallyAndRatingsInFileOrder() throws {
        let ratings = """
            userId,movieId,rating,timestamp
            10,6,4.5,300
            2,1,4.0,100
            10,1,3.0,200
            9,17,5,50
            """
        let folder = try fixtureFolder(ratings: ratings + "\r\n")
        let histories = try MovieLensSource(folder: folder.path).histories()
        #expect(histories.map(\.userId) == ["2", "9", "10"])
        #expect(
            histories[2].ratings == [
                UserRating(itemId: "6", rating: 4.5, timestamp: 300),
                UserRating(itemId: "1", rating: 3.0, timestamp: 200),
            ])
    }

    @Test func aMalformedRatingIsRefusedWhereItIs() throws {
        let folder = try fixtureFolder(
            ratings: "userId,movieId,rating,timestamp\n1,1,4.0,10\n1,6,four,11\n")
        let path = folder.appendingPathComponent("ratings.csv").path
        #expect(
            throws: ConversationError.file(
                path, line: 3, field: "rating", "expected a number, found \"four\"")
        ) {
            try MovieLensSource(folder: folder.path).histories()
        }
    }

    @Test func aShortRowAndAnUnclosedQuoteAreRefusedWhereTheyAre() throws {
        let folder = try fixtureFolder(ratings: "userId,movieId,rating,timestamp\n1,1,4.0\n")
        let ratingsPath = folder.appendingPathComponent("ratings.csv").path
        #expect(
            throws: ConversationError.file(
                ratingsPath, line: 2, "expected 4 fields (userId,movieId,rating,timestamp), found 3"
            )
        ) {
            try MovieLensSource(folder: folder.path).histories()
        }
        try write(
            "movieId,title,genres\n1,Fine (1990),Drama\n2,\"Open, (1990),Drama\n", to: "movies.csv",
            in: folder)
        let moviesPath = folder.appendingPathComponent("movies.csv").path
        #expect(throws: ConversationError.file(moviesPath, line: 3, "a quoted field is not closed"))
        {
            try MovieLensSource(folder: folder.path).catalogue()
        }
    }

    @Test(.needsSharedData) func readsTheRealSmallSetAndBuildsItsPersonas() throws {
        let source = MovieLensSource(folder: try SharedData.folder(named: "movielens-latest-small"))
        let catalogue = try source.catalogue()
        #expect(catalogue.items.count == 9_742)
        let histories = try source.histories()
        #expect(histories.count == 610)
        #expect(histories.first?.userId == "1")
        let personas = try PersonaBuilder(options: .init()).build(
            catalogue: catalogue, histories: histories)
        #expect(personas.train.count == 40)
        #expect(personas.test.count == 20)
        for persona in personas.train + personas.test {
            #expect(persona.targetIds.count == 3)
            #expect(persona.targetIds.allSatisfy { catalogue.item(id: $0) != nil })
            let targetTitles = Set(persona.targetIds.compactMap { catalogue.item(id: $0)?.title })
            #expect(targetTitles.isDisjoint(with: persona.likedTitles))
        }
    }
}
