import FunnelData
import FunnelNN
import FunnelTensor

/// The inputs BASE (USD §2.4) and DIN (Zhou et al., KDD 2018) share: an item is its id
/// embedding ⊕ its category embedding (`d = 2·dimensions`), for the target and for every
/// behaviour, and the other features — the profile and context columns, the target item and its
/// category left out, since the models embed those themselves. Both tables hold one extra row
/// for padding (the vocabulary's size, the batcher's padding id), which reads as zeros.
///
/// Built in one order (category map, item table, category table, feature input) so that the
/// models draw their weights as they did before they shared it.
struct CategorisedItemInput {
    let items: Embedding
    let categories: Embedding
    let features: FeatureInput
    /// The category id of every item id, and the padding category for the padding id.
    let categoryOfItem: [Int32]

    /// - Parameter model: the model's name in refusals ("BASE", "DIN").
    init(
        dataset: Dataset, item: String, itemCategory: String, behaviours: String, features selection: FeatureSelection,
        dimensions: Int, model: String, generator: inout RandomGenerator
    ) throws {
        let schema = dataset.schema
        guard let itemVocabulary = dataset.vocabulary(for: item) else {
            throw DataError.missingRequirement(dataset: schema.name, column: item, reason: "\(model)'s target item")
        }
        guard schema.resolvedColumn(behaviours)?.kind == .idList else {
            throw DataError.missingRequirement(
                dataset: schema.name, column: behaviours, reason: "\(model)'s behaviour sequence (an id list of items)")
        }
        let (categoryOfItem, categoryCount) = try Self.categories(column: itemCategory, in: dataset, items: itemVocabulary.size)
        self.categoryOfItem = categoryOfItem
        let initializer = Initializer.normal(mean: 0, standardDeviation: 0.05)
        // Read only through ``embed`` (their lookups), so a distributed run may split them.
        items = Embedding(
            count: itemVocabulary.size + 1, dimensions: dimensions, paddingID: Int32(itemVocabulary.size),
            initializer: initializer, shardable: true, generator: &generator)
        categories = Embedding(
            count: categoryCount + 1, dimensions: dimensions, paddingID: Int32(categoryCount),
            initializer: initializer, shardable: true, generator: &generator)
        var selection = selection
        if selection.categorical == nil {
            let all = try selection.resolve(in: dataset).categorical
            selection.categorical = all.filter { $0 != item && $0 != itemCategory }
        }
        features = try FeatureInput(dataset: dataset, features: selection, dimensions: dimensions, generator: &generator)
    }

    /// The category of every item, read from the side table that `column` names, then the
    /// padding item's: the padding category (the category vocabulary's size). Also that size.
    static func categories(column: String, in dataset: Dataset, items: Int) throws -> ([Int32], Int) {
        let parts = column.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let side = dataset.sideTables[parts[0]], let schema = dataset.schema.sideTables.first(where: { $0.name == parts[0] }),
            schema.key.count == 1, let keys = side.column(schema.key[0])?.values.ids,
            let values = side.column(parts[1])?.values.ids, let vocabulary = dataset.vocabulary(for: parts[1])
        else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: column,
                reason: "the item category: a categorical column of a side table keyed by the item")
        }
        var categoryOfItem = [Int32](repeating: 0, count: items + 1)
        for row in 0..<side.rowCount where Int(keys[row]) < items { categoryOfItem[Int(keys[row])] = values[row] }
        categoryOfItem[items] = Int32(vocabulary.size)
        return (categoryOfItem, vocabulary.size)
    }

    /// Item ids → `[shape, 2·dimensions]` (id embedding ⊕ category embedding; zeros for the
    /// padding id). `touching`: further item ids whose rows (and their categories' rows) get a
    /// zero gradient (``Tensor/embeddingLookups(_:touching:)``).
    static func embed(
        _ ids: [Int32], shape: [Int], items: Embedding, categories: Embedding, categoryOfItem: [Int32],
        touching: [Int32] = []
    ) -> Tensor {
        let categoryIDs = ids.map { categoryOfItem[Int($0)] }
        let width = items.dimensions + categories.dimensions
        if items.shard != nil || categories.shard != nil {
            let parts = [items(ids, touching: touching), categories(categoryIDs, touching: touching.map { categoryOfItem[Int($0)] })]
            return Tensor.concatenated(parts, alongAxis: 1).reshaped(shape + [width])
        }
        let joined = Tensor.embeddingLookups(
            [(items.table, ids, items.paddingID), (categories.table, categoryIDs, categories.paddingID)],
            touching: touching.isEmpty ? [] : [touching, touching.map { categoryOfItem[Int($0)] }])
        return joined.reshaped(shape + [width])
    }

    /// Runs `body`, whose item lookups (``embed(_:shape:items:categories:categoryOfItem:touching:)``)
    /// read only `ids`, with the rows of tables split over the ranks fetched once
    /// (``Embedding/fetchingRows(_:_:)``): how many lookups a batch makes may depend on its rows.
    static func fetching<Result>(
        _ ids: [Int32], items: Embedding, categories: Embedding, categoryOfItem: [Int32], _ body: () throws -> Result
    ) rethrows -> Result {
        try items.fetchingRows(ids) { try categories.fetchingRows(ids.map { categoryOfItem[Int($0)] }, body) }
    }
}
