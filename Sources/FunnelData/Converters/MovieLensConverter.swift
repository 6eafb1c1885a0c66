/// Converts MovieLens ml-latest-small (`ratings.csv`, `movies.csv`, `tags.csv`).
///
/// F. Maxwell Harper and Joseph A. Konstan, *The MovieLens Datasets: History and Context*,
/// ACM TiiS 5(4), 2015.
///
/// Output: a leave-last-out split of the ratings. Each user's ratings are ordered by time (ties
/// by movie id); the last goes to `test`, the one before it to `validation`, the rest to
/// `train`. Every split lists its rows in that order, user by user, with `user`, `movie`
/// (role item), label `rating` (0.5–5) and `timestamp` (Unix seconds), so a sequential model
/// reads each user's history from `train` in order. Side table `movie` holds `genres` and the
/// users' `tags` as id lists.
struct MovieLensConverter {
    let source: String

    private struct Rating {
        var user: Int64
        var movie: Int64
        var rating: Double
        var timestamp: Int64
    }

    func convert(into output: inout ConversionOutput) throws {
        let ratings = try readRatings(output.sourcePath("ratings.csv"))
        let largestUser = ratings.map(\.user).max() ?? 0
        let columns = [
            ColumnSchema(
                name: "user", kind: .categorical, role: .user,
                vocabulary: .identity(size: Int(largestUser) + 1)),
            ColumnSchema(
                name: "movie", kind: .categorical, role: .item, vocabulary: .built(minimumCount: 1)),
            ColumnSchema(name: "rating", kind: .label),
            ColumnSchema(name: "timestamp", kind: .timestamp, role: .metadata),
        ]
        let order = ratings.indices.sorted { left, right in
            let (a, b) = (ratings[left], ratings[right])
            return (a.user, a.timestamp, a.movie) < (b.user, b.timestamp, b.movie)
        }
        var writers = ["train", "validation", "test"].map {
            CanonicalTableWriter(name: $0, columns: columns)
        }
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && ratings[order[end]].user == ratings[order[start]].user {
                end += 1
            }
            for (offset, index) in order[start..<end].enumerated() {
                // Position from the end of the user's history: 0 = last (test), 1 = validation.
                let fromEnd = end - start - 1 - offset
                let split =
                    fromEnd == 0 && end - start >= 2 ? 2 : fromEnd == 1 && end - start >= 3 ? 1 : 0
                let rating = ratings[index]
                writers[split].append(rating.user)
                writers[split].append(String(rating.movie))
                writers[split].append(rating.rating)
                writers[split].append(rating.timestamp)
                writers[split].endRow()
            }
            start = end
        }
        for writer in writers { try output.addSplit(writer) }
        try output.addSideTable(MovieLensMovieTable(source: source).read(), key: ["movie"])
        output.name = "movielens-latest-small"
        output.columns = columns
        output.notes = Self.notes
    }

    private func readRatings(_ path: String) throws -> [Rating] {
        let table = try SourceTable(path: path)
        let (user, movie) = (try table.column("userId"), try table.column("movieId"))
        let (rating, timestamp) = (try table.column("rating"), try table.column("timestamp"))
        var ratings: [Rating] = []
        ratings.reserveCapacity(110_000)
        try table.forEachRow { row in
            let value = try row.double(rating)
            guard value > 0 && value <= 5 else {
                throw row.failure(rating, expected: "a rating in (0, 5]")
            }
            ratings.append(
                Rating(
                    user: try row.identifier(user), movie: try row.identifier(movie), rating: value,
                    timestamp: try row.integer(timestamp)))
        }
        return ratings
    }

    static let notes = """
        MovieLens ml-latest-small (September 2018 build); F. Maxwell Harper and Joseph A. Konstan, The \
        MovieLens Datasets: History and Context, ACM TiiS 5(4) 2015. Source: GroupLens ml-latest-small.zip \
        as kept in GitHub hasstariq/Collaborative-Filltering- (commit 02202ae6), byte-for-byte in \
        shared/data/movielens-latest-small. Licence: GroupLens terms: research use only, redistribution \
        only under the same terms, no commercial use without permission, cite the paper; keep README.txt \
        of the source with any copy of this folder. \
        Changes: leave-last-out split. Each user's ratings are ordered by timestamp, ties broken by \
        movieId; the last rating is in test, the second to last in validation, the rest in train (a user \
        with 2 ratings gives none to validation, with 1 none to test; every user here has at least 20). \
        Rows are written in that order, user by user. userId renamed user (identity vocabulary, ids 1-610, \
        0 unused), movieId renamed movie (role item, vocabulary built from train and the movie table, so \
        every listed movie has an id). rating (label, half stars 0.5-5) and timestamp (Unix seconds, \
        UTC) unchanged. Ratings only: no exposures, negatives or propensities. \
        Side table movie (keyed by movie, all movies.csv rows): genres as an id list ('(no genres listed)' \
        becomes an empty list), tags as an id list of the distinct tags users applied to the movie in \
        tags.csv (first-seen order, case kept). Tags were applied at any time, so they carry information \
        from after a test rating's time. Titles and links.csv are not carried.
        """
}
