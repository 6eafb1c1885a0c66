import Foundation
import Testing

@testable import FunnelConversation

@Suite struct JSONLinesItemSourceTests {
    @Test func readsItemsWithOptionalGenresAndTagsAndTheRatings() throws {
        let folder = try temporaryFolder()
        let items = try write(
            """
            {"id": "B001", "title": "Dune", "genres": ["Science Fiction"], "tags": ["desert", "epic"]}

            {"id": "B002", "title": "Emma"}
            """, to: "items.jsonl", in: folder)
        let ratings = try write(
            "user,item,rating,timestamp\nu2,B002,5,20\nu1,B001,4,10\nu2,B001,2,30\n",
            to: "ratings.csv", in: folder)
        let source = JSONLinesItemSource(items: items, ratings: ratings)
        let catalogue = try source.catalogue()
        #expect(
            catalogue.items == [
                CatalogueItem(
                    id: "B001", title: "Dune", genres: ["Science Fiction"],
                    tags: ["desert", "epic"]),
                CatalogueItem(id: "B002", title: "Emma", genres: [], tags: []),
            ])
        let histories = try source.histories()
        #expect(histories.map(\.userId) == ["u1", "u2"])
        #expect(histories[1].ratings.map(\.itemId) == ["B002", "B001"])
    }

    @Test func badItemsAreRefusedWhereTheyAre() throws {
        let folder = try temporaryFolder()
        let ratings = try write("user,item,rating,timestamp\n", to: "ratings.csv", in: folder)
        let cases: [(text: String, line: Int, field: String, reason: String)] = [
            (#"{"id": "a"}"#, 1, "title", "missing"),
            (#"{"id": 7, "title": "T"}"#, 1, "id", "expected a string, found 7"),
            (
                #"{"id": "a", "title": "T", "tags": ["x", 3]}"#, 1, "tags[1]",
                "expected a string, found 3"
            ),
            (
                #"{"id": "a", "title": "T", "genres": "Drama"}"#, 1, "genres",
                "expected an array of strings, found the string \"Drama\""
            ),
            (
                "{\"id\": \"a\", \"title\": \"T\"}\n{\"id\": \"a\", \"title\": \"U\"}", 2, "id",
                "\"a\" already occurs on line 1"
            ),
        ]
        for (text, line, field, reason) in cases {
            let items = try write(text, to: "items-\(UUID().uuidString).jsonl", in: folder)
            #expect(throws: ConversationError.file(items, line: line, field: field, reason)) {
                try JSONLinesItemSource(items: items, ratings: ratings).catalogue()
            }
        }
    }

    @Test func aDuplicateIdInACatalogueIsRefused() {
        let item = CatalogueItem(id: "1", title: "A", genres: [], tags: [])
        #expect(throws: ConversationError.self) {
            try ItemCatalogue(name: "fixture", items: [item, item])
        }
    }
}
