/// The `item` side table of the Open Bandit conversion: every campaign's `item_context.csv`,
/// one row per campaign-qualified item.
///
/// The random and bts folders each ship an item table; their hashed features
/// (`item_feature_1..3`) use different hash values for the same item. The table is taken from
/// the random folder after checking that the bts copy lists the same items with the same
/// `item_feature_0` and that its hashed values are a one-to-one relabelling of random's, so that
/// nothing is lost by keeping one.
struct OpenBanditItemTable {
    static let columns =
        [
            ColumnSchema(name: "item", kind: .categorical, vocabularyOf: "item"),
            ColumnSchema(name: "item_feature_0", kind: .dense),
        ]
        + (1...3).map {
            ColumnSchema(
                name: "item_feature_\($0)", kind: .categorical, vocabulary: .built(minimumCount: 1))
        }

    private(set) var writer = CanonicalTableWriter(name: "item", columns: columns)

    /// The features of one item as read.
    private struct Item {
        var line: Int
        var features: [String]
    }

    /// Adds a campaign's items; returns how many there are.
    mutating func add(campaign: String, source: String) throws -> Int {
        let random = try Self.read("\(source)/random/\(campaign)/item_context.csv")
        let bts = try Self.read("\(source)/bts/\(campaign)/item_context.csv")
        let btsPath = "\(source)/bts/\(campaign)/item_context.csv"
        guard random.count == bts.count else {
            throw DataError.unreadable(
                path: btsPath,
                reason: "\(bts.count) items, but the random folder lists \(random.count)")
        }
        var relabelling: [[String: String]] = Array(repeating: [:], count: 4)
        var inverse: [[String: String]] = Array(repeating: [:], count: 4)
        for (index, (mine, theirs)) in zip(random, bts).enumerated() {
            guard mine.features[0] == theirs.features[0] else {
                throw DataError.badValue(
                    FileLocation(file: btsPath, line: theirs.line, columnName: "item_feature_0"),
                    found: theirs.features[0],
                    expected:
                        "item \(index)'s item_feature_0 in the random folder, \(mine.features[0])")
            }
            for feature in 1...3 {
                let (from, to) = (mine.features[feature], theirs.features[feature])
                guard relabelling[feature][from, default: to] == to,
                    inverse[feature][to, default: from] == from
                else {
                    throw DataError.badValue(
                        FileLocation(
                            file: btsPath, line: theirs.line, columnName: "item_feature_\(feature)"),
                        found: to,
                        expected: "a one-to-one relabelling of the random folder's hashed values")
                }
                relabelling[feature][from] = to
                inverse[feature][to] = from
            }
            writer.append("\(campaign)-\(index)")
            writer.append(mine.features[0])
            for feature in 1...3 { writer.append(mine.features[feature]) }
            writer.endRow()
        }
        return random.count
    }

    /// The rows of an `item_context.csv`, which must list items 0, 1, … in order.
    private static func read(_ path: String) throws -> [Item] {
        let table = try SourceTable(path: path)
        let item = try table.column("item_id")
        let features = try (0...3).map { try table.column("item_feature_\($0)") }
        var items: [Item] = []
        try table.forEachRow { row in
            guard try row.identifier(item) == items.count else {
                throw row.failure(item, expected: "item id \(items.count) (items listed in order)")
            }
            _ = try row.double(features[0])
            for feature in features[1...] where row.isEmpty(feature) {
                throw row.failure(feature, expected: "a hashed item feature")
            }
            items.append(Item(line: row.line, features: features.map { row.text($0) }))
        }
        return items
    }
}
