import Foundation

/// Item vectors built from side tables keyed by the raw item key (sequential.md §4.1 step 1,
/// with metadata fields standing in for a text encoder): each multi-valued field (values split
/// on `|`, e.g. MovieLens `movies.csv` `genres`) becomes a multi-hot block, and an optional
/// (item, tag) file (MovieLens `tags.csv`) becomes an L2-normalised tf-idf block over the tags
/// (lower-cased, trimmed) seen at least `minimumTagCount` times.
///
/// Raw keys are joined to item ids through the dataset's `items.csv` (`id,raw`). Output
/// `[N, Σ field vocabularies + tag vocabulary]`; an item with no feature row and no kept tag
/// is a zero vector, counted in ``itemsWithoutFeatures``. Vocabularies are sorted, so the
/// columns do not depend on file order.
public struct ItemSideFeatures: Sendable {
    /// The vectors, `[N, d]`.
    public var vectors: ItemVectors
    /// Items whose vector is all zeros (no feature row and no kept tag).
    public var itemsWithoutFeatures: Int
    /// Each block's name and width, in column order (`genres: 20`, `tags: 1,012`).
    public var blocks: [(name: String, width: Int)]

    /// - Parameters:
    ///   - dataset: the sequence dataset's folder (holding `items.csv`).
    ///   - features: the feature CSV, or `nil`; `featureKey` names its raw-item-key column and
    ///     `multiValued` its `|`-separated fields.
    ///   - tags: the (item, tag) CSV, or `nil`; `tagKey` and `tagColumn` name its columns.
    /// - Throws: ``DataError`` for a missing file or column, or `items.csv` not listing ids
    ///   1 … N in order.
    public init(
        dataset: String, features: String?, featureKey: String = "movieId", multiValued: [String] = [],
        tags: String?, tagKey: String = "movieId", tagColumn: String = "tag", minimumTagCount: Int = 2
    ) throws {
        let keys = try Self.itemKeys(directory: dataset)
        let itemCount = keys.count
        var blocks: [(name: String, width: Int)] = []
        var columns: [[(item: Int, column: Int, value: Float)]] = []
        var hasFeature = [Bool](repeating: false, count: itemCount + 1)
        if let features {
            let table = try SourceTable(path: features)
            let key = try table.column(featureKey)
            let fields = try multiValued.map { try table.column($0) }
            var perItem: [Int: [[String]]] = [:]
            try table.forEachRow { row in
                guard let item = keys.index[row.text(key)] else { return }
                perItem[item] = fields.map { field in
                    row.text(field).split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                }
            }
            for (position, name) in multiValued.enumerated() {
                let vocabulary = Set(perItem.values.flatMap { $0[position] }).sorted()
                let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
                var entries: [(item: Int, column: Int, value: Float)] = []
                for (item, values) in perItem {
                    for value in values[position] {
                        entries.append((item, index[value]!, 1))
                        hasFeature[item] = true
                    }
                }
                blocks.append((name, vocabulary.count))
                columns.append(entries)
            }
        }
        if let tags {
            let (entries, width) = try Self.tagBlock(
                path: tags, keys: keys.index, keyColumn: tagKey, tagColumn: tagColumn, minimumCount: minimumTagCount)
            for entry in entries { hasFeature[entry.item] = true }
            blocks.append(("tags", width))
            columns.append(entries)
        }
        let dimensions = max(blocks.reduce(0) { $0 + $1.width }, 1)
        var values = [Float](repeating: 0, count: itemCount * dimensions)
        var offset = 0
        for (block, entries) in zip(blocks, columns) {
            for entry in entries { values[(entry.item - 1) * dimensions + offset + entry.column] = entry.value }
            offset += block.width
        }
        let source = ([features, tags].compactMap { $0 }).joined(separator: " + ")
        vectors = ItemVectors(itemCount: itemCount, dimensions: dimensions, values: values, source: source)
        itemsWithoutFeatures = (1...max(itemCount, 1)).filter { $0 <= itemCount && !hasFeature[$0] }.count
        self.blocks = blocks
    }

    /// The tf-idf entries of the tag file: tf = the tag's share of the item's kept tags, idf =
    /// ln((1 + tagged items) / (1 + items with the tag)) + 1 (scikit-learn's smooth idf), each
    /// item's row L2-normalised.
    static func tagBlock(
        path: String, keys: [String: Int], keyColumn: String, tagColumn: String, minimumCount: Int
    ) throws -> (entries: [(item: Int, column: Int, value: Float)], width: Int) {
        let table = try SourceTable(path: path)
        let key = try table.column(keyColumn)
        let tagPosition = try table.column(tagColumn)
        var pairs: [(item: Int, tag: String)] = []
        var counts: [String: Int] = [:]
        try table.forEachRow { row in
            guard let item = keys[row.text(key)] else { return }
            let tag = row.text(tagPosition).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard !tag.isEmpty else { return }
            pairs.append((item, tag))
            counts[tag, default: 0] += 1
        }
        let vocabulary = counts.filter { $0.value >= minimumCount }.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        var termCounts: [Int: [Int: Int]] = [:]
        for pair in pairs {
            guard let column = index[pair.tag] else { continue }
            termCounts[pair.item, default: [:]][column, default: 0] += 1
        }
        var documentFrequency = [Int](repeating: 0, count: vocabulary.count)
        for terms in termCounts.values { for column in terms.keys { documentFrequency[column] += 1 } }
        let documents = Double(termCounts.count)
        var entries: [(item: Int, column: Int, value: Float)] = []
        for item in termCounts.keys.sorted() {
            let terms = termCounts[item]!
            let total = Double(terms.values.reduce(0, +))
            let weights = terms.keys.sorted().map { column in
                (column, Double(terms[column]!) / total * (log((1 + documents) / (1 + Double(documentFrequency[column]))) + 1))
            }
            let norm = max(weights.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot(), 1e-12)
            for (column, weight) in weights { entries.append((item, column, Float(weight / norm))) }
        }
        return (entries, vocabulary.count)
    }

    /// `items.csv`'s raw keys by id (ids 1 … N in order) and the id of each raw key.
    static func itemKeys(directory: String) throws -> (count: Int, index: [String: Int]) {
        let path = directory + "/items.csv"
        let table = try SourceTable(path: path)
        let idColumn = try table.column("id")
        let rawColumn = try table.column("raw")
        var index: [String: Int] = [:]
        var count = 0
        try table.forEachRow { row in
            count += 1
            guard try row.integer(idColumn) == Int64(count) else {
                throw row.failure(idColumn, expected: "item id \(count) (items.csv lists ids 1 … N in order)")
            }
            index[row.text(rawColumn)] = count
        }
        return (count, index)
    }
}
