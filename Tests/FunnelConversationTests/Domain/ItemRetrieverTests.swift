import Foundation
import FunnelLanguage
import FunnelTestSupport
import Testing

@testable import FunnelConversation

@Suite struct ItemRetrieverTests {
    private let items = [
        CatalogueItem(id: "0", title: "Space Wars", genres: ["Sci-Fi"], tags: ["robots"]),
        CatalogueItem(id: "1", title: "Love Story", genres: ["Romance"], tags: ["love"]),
        CatalogueItem(id: "2", title: "Space Love", genres: ["Romance", "Sci-Fi"], tags: []),
        CatalogueItem(id: "3", title: "Love Story", genres: ["Romance"], tags: ["love"]),
        CatalogueItem(id: "4", title: "Heist", genres: ["Crime"], tags: []),
    ]

    @Test func searchRanksByCosineWithTiesByIndex() {
        let retriever = ItemRetriever(items: items, embedder: KeywordEmbedder())
        #expect(retriever.dimension == 16)
        #expect(retriever.embeddings.count == 5 * 16)
        #expect(retriever.search("romance love", count: 3).map(\.id) == ["1", "3", "2"])
        #expect(retriever.search("robots in space", count: 2).map(\.id) == ["0", "2"])
        #expect(retriever.search("crime", count: 10).map(\.id) == ["4", "0", "1", "2", "3"])
        #expect(retriever.search("crime", count: 0).isEmpty)
        #expect(
            retriever.search("romance love", count: 3) == retriever.search("romance love", count: 3)
        )
    }

    @Test func storedEmbeddingsAreNormalised() {
        let retriever = ItemRetriever(items: items, embedder: KeywordEmbedder())
        for item in items.indices {
            let row = retriever.embeddings[(item * 16)..<((item + 1) * 16)]
            #expect(abs(row.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
    }

    @Test func observationListsTitlesGenresAndTags() {
        #expect(
            ItemRetriever.observation([items[0], items[2], items[4]]) == """
                1. Space Wars — Genres: Sci-Fi; Tags: robots
                2. Space Love — Genres: Romance, Sci-Fi
                3. Heist — Genres: Crime
                """)
        #expect(
            ItemRetriever.observation([CatalogueItem(id: "x", title: "Bare", genres: [], tags: [])])
                == "1. Bare")
        #expect(ItemRetriever.observation([]) == "No matching items.")
    }

    @Test func savedEmbeddingsLoadBitIdentically() throws {
        let retriever = ItemRetriever(items: items, embedder: KeywordEmbedder())
        let path = try temporaryFolder().appendingPathComponent("items.fnemb").path
        try retriever.saveEmbeddings(to: path)
        let data = try #require(FileManager.default.contents(atPath: path))
        #expect(data.count == 22 + 5 * 16 * 4)
        #expect(Array(data.prefix(6)) == Array("FNEMB1".utf8))
        let loaded = try ItemRetriever.loadEmbeddings(
            from: path, items: items, embedder: KeywordEmbedder())
        #expect(loaded.embeddings.map(\.bitPattern) == retriever.embeddings.map(\.bitPattern))
        #expect(
            loaded.search("romance love", count: 3) == retriever.search("romance love", count: 3))
    }

    @Test func truncatedOrMismatchedFilesAreRefused() throws {
        let retriever = ItemRetriever(items: items, embedder: KeywordEmbedder())
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("items.fnemb").path
        try retriever.saveEmbeddings(to: path)
        let bytes = try #require(FileManager.default.contents(atPath: path))
        func refusal(
            _ data: Data, items: [CatalogueItem]? = nil,
            embedder: any TextEmbedder = KeywordEmbedder()
        ) throws -> ConversationError? {
            let damaged = folder.appendingPathComponent("\(UUID().uuidString).fnemb").path
            try data.write(to: URL(fileURLWithPath: damaged))
            return #expect(throws: ConversationError.self) {
                try ItemRetriever.loadEmbeddings(
                    from: damaged, items: items ?? self.items, embedder: embedder)
            }
        }
        #expect(
            try refusal(bytes.prefix(bytes.count - 1))?.reason.hasPrefix("is truncated") == true)
        #expect(try refusal(bytes.prefix(10))?.reason.hasPrefix("is truncated") == true)
        #expect(try refusal(bytes + Data([0]))?.reason.hasPrefix("has trailing bytes") == true)
        var wrongMagic = bytes
        wrongMagic[0] = UInt8(ascii: "X")
        #expect(try refusal(wrongMagic)?.location.hasSuffix("field \"magic\"") == true)
        #expect(
            try refusal(bytes, items: Array(items.prefix(4)))?.location.hasSuffix("field \"count\"")
                == true)
        #expect(
            try refusal(bytes, embedder: WideEmbedder())?.location.hasSuffix("field \"dimension\"")
                == true)
        #expect(throws: ConversationError.self) {
            try ItemRetriever(items: items, embeddings: [0, 1], embedder: KeywordEmbedder())
        }
    }

    @Test(.needsLanguageModels) func miniLMFindsToyStoryForAnimatedToys() throws {
        let folder = try temporaryFolder()
        try write(fixtureMovies, to: "movies.csv", in: folder)
        try write(fixtureTags, to: "tags.csv", in: folder)
        let catalogue = try MovieLensSource(folder: folder.path).catalogue()
        let embedder = try SentenceEmbedder(folder: LanguageModels.miniLMFolder)
        let retriever = ItemRetriever(items: catalogue.items, embedder: embedder)
        #expect(
            retriever.search("animated toys that come alive", count: 3).first?.title
                == "Toy Story (1995)")
    }
}

/// An embedder of another width, for the dimension check.
private struct WideEmbedder: TextEmbedder {
    var dimension: Int { 32 }
    func embed(_ texts: [String]) -> [[Float]] {
        texts.map { _ in [Float](repeating: 1, count: 32) }
    }
}
