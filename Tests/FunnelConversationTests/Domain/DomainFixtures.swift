import Foundation

@testable import FunnelConversation

/// A fresh folder under the temporary directory, for one test's files.
func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
        "funnel-domain-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Writes `text` to `name` in `folder` and returns its path.
@discardableResult
func write(_ text: String, to name: String, in folder: URL) throws -> String {
    let url = folder.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// A deterministic bag-of-words embedder: each word of a fixed vocabulary counts on its own
/// dimension, other words are ignored.
struct KeywordEmbedder: TextEmbedder {
    static let vocabulary = [
        "space", "wars", "love", "story", "romance", "sci-fi", "comedy", "drama",
        "toys", "animated", "heist", "crime", "robots", "ocean", "music", "war",
    ]
    var dimension: Int { Self.vocabulary.count }

    func embed(_ texts: [String]) -> [[Float]] {
        texts.map { text in
            var vector = [Float](repeating: 0, count: dimension)
            let words = text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "-") }
            for word in words {
                if let index = Self.vocabulary.firstIndex(of: String(word)) { vector[index] += 1 }
            }
            return vector
        }
    }
}

/// Six MovieLens films: quoted titles with commas and quotes, a film without genres, tags.
let fixtureMovies = """
    movieId,title,genres
    1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
    2,"American President, The (1995)",Comedy|Drama|Romance
    6,Heat (1995),Action|Crime|Thriller
    10,"Say ""Anything"" (1989)",Drama
    17,Sense and Sensibility (1995),Drama|Romance
    25,Untitled Short (2018),(no genres listed)

    """

let fixtureTags = """
    userId,movieId,tag,timestamp
    2,1,pixar,1445714994
    2,1,toys,1445714995
    3,1,pixar,1445714996
    3,6,heist,1445714997
    3,1,"fun, for kids",1445714998

    """
