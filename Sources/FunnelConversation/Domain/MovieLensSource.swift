import Foundation

/// The MovieLens "latest small" set (Harper & Konstan, ACM TiiS 2015) as a conversational
/// domain (conversational.md §2.1 uses Amazon Books, Amazon Games and Yelp; MovieLens is the
/// film catalogue Funnel ships):
/// - `movies.csv` (`movieId,title,genres`): titles may be quoted and hold commas; genres are
///   separated by `|`, and `(no genres listed)` gives none.
/// - `tags.csv` (`userId,movieId,tag,timestamp`): each movie's distinct tags in first-seen
///   order, at most ``maximumTags``; tags of movies not in `movies.csv` are ignored, and a
///   folder without `tags.csv` gives no tags.
/// - `ratings.csv` (`userId,movieId,rating,timestamp`): the histories, users in ascending
///   numeric id order, ratings in file order.
public struct MovieLensSource: ItemSource {
    public let folder: String
    /// The most tags kept per movie.
    public static let maximumTags = 8

    public init(folder: String) {
        self.folder = folder
    }

    /// The catalogue named after the folder, movies in file order.
    /// - Throws: ``ConversationError`` naming the file and line of a malformed row.
    public func catalogue() throws -> ItemCatalogue {
        let movies = try CSVTable(path: path("movies.csv"))
        let idColumn = try movies.column("movieId"), titleColumn = try movies.column("title")
        let genresColumn = try movies.column("genres")
        let tags = try tagsByMovie()
        let items = movies.rows.map { row in
            let id = row.fields[idColumn].trimmingCharacters(in: .whitespaces)
            let genres = row.fields[genresColumn]
            return CatalogueItem(
                id: id, title: row.fields[titleColumn].trimmingCharacters(in: .whitespaces),
                genres: genres == "(no genres listed)"
                    ? [] : genres.split(separator: "|").map(String.init),
                tags: tags[id] ?? [])
        }
        return try ItemCatalogue(name: URL(fileURLWithPath: folder).lastPathComponent, items: items)
    }

    /// The users' ratings from `ratings.csv`.
    /// - Throws: ``ConversationError`` naming the line and field of a malformed rating.
    public func histories() throws -> [UserHistory] {
        let table = try CSVTable(path: path("ratings.csv"))
        return UserHistory.grouped(
            try table.ratings(
                user: "userId", item: "movieId", rating: "rating", timestamp: "timestamp"))
    }

    /// Each movie's distinct tags in first-seen order, at most ``maximumTags``.
    private func tagsByMovie() throws -> [String: [String]] {
        let tagsPath = path("tags.csv")
        guard FileManager.default.fileExists(atPath: tagsPath) else { return [:] }
        let table = try CSVTable(path: tagsPath)
        let movieColumn = try table.column("movieId"), tagColumn = try table.column("tag")
        var tags: [String: [String]] = [:]
        for row in table.rows {
            let movie = row.fields[movieColumn].trimmingCharacters(in: .whitespaces)
            let tag = row.fields[tagColumn].trimmingCharacters(in: .whitespaces)
            var movieTags = tags[movie, default: []]
            guard !tag.isEmpty, movieTags.count < Self.maximumTags, !movieTags.contains(tag) else {
                continue
            }
            movieTags.append(tag)
            tags[movie] = movieTags
        }
        return tags
    }

    private func path(_ file: String) -> String {
        URL(fileURLWithPath: folder).appendingPathComponent(file).path
    }
}
