import FunnelData
import FunnelTensor

/// RAR's look-alike pool U (adaptation.md §1.1, [ASSUMED]): `poolSize` users drawn with a fixed
/// seed from the users of the click split, and the user fields every user representation pools.
///
/// A user's representation (built by ``RecallAugmentation``) is the mean of its user-field
/// embeddings plus the mean of the embeddings of its last clicks before the row's day, so a pool
/// user reads nothing of the row's day or later either.
public struct LookAlikePool: Sendable {
    /// The pool users, in draw order (the pool index orders ties).
    public let users: [Int32]
    /// The pooled user fields: the user column itself first, then side-table columns.
    public let fields: [String]
    /// The vocabulary size of each field.
    public let sizes: [Int]
    /// `[userCount × fields]` row-major: every user's id in each field (0 where the side table
    /// has no row for the user).
    let values: [Int32]

    /// - Parameters:
    ///   - userFields: the fields (`nil`: the user column and every categorical column of the
    ///     side tables keyed by it alone).
    ///   - candidates: the users the pool is drawn from (each counted once).
    public init(dataset: Dataset, user: String, userFields: [String]?, candidates: [Int32], size: Int, seed: UInt64) throws {
        guard let userCount = dataset.vocabulary(for: user)?.size else {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: user, reason: "RAR's user column (categorical)")
        }
        let sides = dataset.schema.sideTables.filter { $0.key == [user] }
        let fields = userFields ?? [user] + sides.flatMap { side in
            side.columns.filter { $0.kind == .categorical && $0.name != user }.map { "\(side.name).\($0.name)" }
        }
        var values = [Int32](repeating: 0, count: userCount * fields.count)
        var sizes: [Int] = []
        for (index, field) in fields.enumerated() {
            let columnName = field.split(separator: ".", maxSplits: 1).last.map(String.init) ?? field
            guard let size = dataset.vocabulary(for: columnName)?.size else {
                throw DataError.missingRequirement(dataset: dataset.schema.name, column: field, reason: "a RAR user field (categorical)")
            }
            sizes.append(size)
            if field == user {
                for id in 0..<userCount { values[id * fields.count + index] = Int32(id) }
                continue
            }
            let parts = field.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let side = dataset.sideTables[parts[0]], sides.contains(where: { $0.name == parts[0] }),
                let keys = side.column(user)?.values.ids, let column = side.column(parts[1])?.values.ids
            else {
                throw DataError.missingRequirement(
                    dataset: dataset.schema.name, column: field, reason: "a RAR user field: a categorical column of a side table keyed by '\(user)'")
            }
            for row in 0..<side.rowCount where Int(keys[row]) < userCount {
                values[Int(keys[row]) * fields.count + index] = column[row]
            }
        }
        var distinct = Array(Set(candidates)).sorted()
        var generator = RandomGenerator(seed: seed)
        distinct.shuffle(using: &generator)
        users = Array(distinct.prefix(size))
        self.fields = fields
        self.sizes = sizes
        self.values = values
    }

    /// `[users.count × fields]` row-major: the field ids of `users`.
    public func fieldIDs(of users: [Int32]) -> [Int32] {
        users.flatMap { user in values[(Int(user) * fields.count)..<((Int(user) + 1) * fields.count)] }
    }

    /// The positions of the `count` pool entries most similar to `query` (similarity = H − the
    /// Hamming distance of the packed signatures), most similar first, ties by position; the
    /// positions in `excluded` (the row's own user) rank after every other entry. A counting sort
    /// over the distances: O(pool + H), stable in the position order.
    public static func nearest(query: [UInt64], pool: ArraySlice<[UInt64]>, count: Int, excluded: Set<Int> = []) -> [Int] {
        let bits = 64 * query.count
        var keys = [Int](repeating: 0, count: pool.count)
        for (position, signature) in pool.enumerated() {
            var distance = 0
            for word in signature.indices { distance += (signature[word] ^ query[word]).nonzeroBitCount }
            keys[position] = excluded.contains(position) ? bits + 1 + distance : distance
        }
        var starts = [Int](repeating: 0, count: 2 * bits + 3)
        for key in keys { starts[key + 1] += 1 }
        for index in 1..<starts.count { starts[index] += starts[index - 1] }
        var order = [Int](repeating: 0, count: pool.count)
        for (position, key) in keys.enumerated() {
            order[starts[key]] = position
            starts[key] += 1
        }
        return Array(order.prefix(count))
    }

    /// ``nearest(query:pool:count:excluded:)`` over a whole array.
    public static func nearest(query: [UInt64], pool: [[UInt64]], count: Int, excluded: Set<Int> = []) -> [Int] {
        nearest(query: query, pool: pool[...], count: count, excluded: excluded)
    }
}
