/// The `movie` side table of the MovieLens conversion: one row per `movies.csv` row with the
/// movie's genres and the distinct tags users gave it in `tags.csv`, both as `|`-separated id
/// lists.
struct MovieLensMovieTable {
    let source: String

    static let columns = [
        ColumnSchema(name: "movie", kind: .categorical, vocabularyOf: "movie"),
        ColumnSchema(
            name: "genres", kind: .idList, vocabulary: .built(minimumCount: 1), separator: "|",
            empty: .missing),
        ColumnSchema(
            name: "tags", kind: .idList, vocabulary: .built(minimumCount: 1), separator: "|",
            empty: .missing),
    ]

    func read() throws -> CanonicalTableWriter {
        let movies = try SourceTable(path: source + "/movies.csv")
        let (movie, genres) = (try movies.column("movieId"), try movies.column("genres"))
        var order: [Int64] = []
        var genreLists: [Int64: String] = [:]
        try movies.forEachRow { row in
            let identifier = try row.identifier(movie)
            guard genreLists[identifier] == nil else {
                throw row.failure(movie, expected: "a movie id not listed before")
            }
            let text = row.text(genres)
            let list = text == "(no genres listed)" ? "" : text
            guard
                !list.split(separator: "|", omittingEmptySubsequences: false).contains(
                    where: \.isEmpty) || list.isEmpty
            else {
                throw row.failure(genres, expected: "genres separated by single '|'")
            }
            order.append(identifier)
            genreLists[identifier] = list
        }
        let tagLists = try readTags(known: genreLists)
        var writer = CanonicalTableWriter(name: "movie", columns: Self.columns)
        for identifier in order {
            writer.append(String(identifier))
            writer.append(genreLists[identifier]!)
            writer.append((tagLists[identifier] ?? []).joined(separator: "|"))
            writer.endRow()
        }
        return writer
    }

    /// Every movie's distinct tags in the order first seen.
    private func readTags(known: [Int64: String]) throws -> [Int64: [String]] {
        let tags = try SourceTable(path: source + "/tags.csv")
        let (movie, tag) = (try tags.column("movieId"), try tags.column("tag"))
        var lists: [Int64: [String]] = [:]
        try tags.forEachRow { row in
            let identifier = try row.identifier(movie)
            guard known[identifier] != nil else {
                throw row.failure(movie, expected: "a movie listed in movies.csv")
            }
            let text = row.text(tag)
            guard !text.isEmpty, !text.contains("|") else {
                throw row.failure(tag, expected: "a non-empty tag without '|'")
            }
            if !(lists[identifier]?.contains(text) ?? false) {
                lists[identifier, default: []].append(text)
            }
        }
        return lists
    }
}
