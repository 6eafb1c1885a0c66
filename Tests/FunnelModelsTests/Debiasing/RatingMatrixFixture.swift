import Foundation
import FunnelData
import FunnelTensor

/// A small user × item rating dataset in a temporary folder: `train` and `test` splits of
/// (user, item, rating, liked, propensity) rows with identity vocabularies.
final class RatingMatrixFixture {
    let directory: String
    let dataset: Dataset

    /// - Parameters:
    ///   - train, test: rows `(user, item, rating, propensity)`; `liked` is `rating >= 4`.
    init(users: Int, items: Int, train: [(Int, Int, Float, Float)], test: [(Int, Int, Float, Float)]) throws {
        directory = NSTemporaryDirectory() + "funnel-ratings-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let schema = DatasetSchema(
            name: "ratings",
            tables: ["train": TableFile(file: "train.csv"), "test": TableFile(file: "test.csv")],
            columns: [
                ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .identity(size: users)),
                ColumnSchema(name: "item", kind: .categorical, role: .item, vocabulary: .identity(size: items)),
                ColumnSchema(name: "rating", kind: .label), ColumnSchema(name: "liked", kind: .label),
                ColumnSchema(name: "propensity", kind: .dense, role: .propensity),
            ])
        try schema.write(directory: directory)
        for (name, rows) in [("train", train), ("test", test)] {
            let lines = rows.map { "\($0.0),\($0.1),\($0.2),\($0.2 >= 4 ? 1 : 0),\($0.3)" }
            try (["user,item,rating,liked,propensity"] + lines).joined(separator: "\n").appending("\n")
                .write(toFile: directory + "/\(name).csv", atomically: false, encoding: .utf8)
        }
        dataset = try Dataset.load(directory, cache: .ignore)
    }

    /// A planted rank-2 matrix `r = 3 + u · v`: the cells where `observe(user, item)` holds in
    /// `train` with the given propensity, every cell in `test`.
    static func planted(
        users: Int = 12, items: Int = 10, propensity: Float = 1, observe: (Int, Int) -> Bool = { _, _ in true }
    ) throws -> (fixture: RatingMatrixFixture, ratings: [[Float]], users: [[Float]], items: [[Float]]) {
        var random = RandomGenerator(seed: 5)
        let userVectors = (0..<users).map { _ in [random.nextNormal(), random.nextNormal()] }
        let itemVectors = (0..<items).map { _ in [random.nextNormal() * 0.5, random.nextNormal() * 0.5] }
        let ratings = userVectors.map { u in itemVectors.map { v in 3 + u[0] * v[0] + u[1] * v[1] } }
        var train: [(Int, Int, Float, Float)] = []
        var test: [(Int, Int, Float, Float)] = []
        for user in 0..<users {
            for item in 0..<items {
                test.append((user, item, ratings[user][item], propensity))
                if observe(user, item) { train.append((user, item, ratings[user][item], propensity)) }
            }
        }
        return (try RatingMatrixFixture(users: users, items: items, train: train, test: test), ratings, userVectors, itemVectors)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
