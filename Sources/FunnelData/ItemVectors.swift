import Foundation

/// One dense vector per item: the input of an item tokeniser (sequential.md §4.1 step 1 — the
/// item embedding that PCA and a quantiser turn into semantic IDs).
///
/// Shape `[items, dimensions]`, Float32, row-major; row r is item `r + 1` of a leave-one-out
/// sequence dataset (items 1 … N; the padding id 0 has no row). Read from CSV or NumPy `.npy`
/// (``ItemVectors/read(path:itemCount:)``), built from side tables (``ItemSideFeatures``), or
/// from a trained model's embedding table (FunnelModels).
public struct ItemVectors: Sendable, Equatable {
    /// N: the items 1 … N.
    public let itemCount: Int
    /// d: the width of every vector.
    public let dimensions: Int
    /// `[N · d]`: item i's vector at `(i − 1)·d ..< i·d`.
    public var values: [Float]
    /// Where the vectors came from, for reports and the semantic-ID manifest.
    public var source: String

    /// - Precondition: `values.count == itemCount · dimensions`.
    public init(itemCount: Int, dimensions: Int, values: [Float], source: String) {
        precondition(itemCount >= 0 && dimensions >= 1, "Funnel: item vectors need a positive width")
        precondition(values.count == itemCount * dimensions, "Funnel: \(values.count) values do not fill \(itemCount) × \(dimensions)")
        self.itemCount = itemCount
        self.dimensions = dimensions
        self.values = values
        self.source = source
    }

    /// Item `item`'s vector (`item` in 1 … N), `[d]`.
    public func vector(item: Int) -> ArraySlice<Float> {
        values[((item - 1) * dimensions)..<(item * dimensions)]
    }

    /// The vectors side by side with `other`'s: `[N, d + d']` (both must cover the same items).
    public func concatenated(with other: ItemVectors) -> ItemVectors {
        precondition(other.itemCount == itemCount, "Funnel: concatenating vectors of \(itemCount) and \(other.itemCount) items")
        var joined: [Float] = []
        joined.reserveCapacity(itemCount * (dimensions + other.dimensions))
        for item in 1...max(itemCount, 1) where item <= itemCount {
            joined += vector(item: item)
            joined += other.vector(item: item)
        }
        return ItemVectors(
            itemCount: itemCount, dimensions: dimensions + other.dimensions, values: joined,
            source: source + " + " + other.source)
    }
}

extension Dataset {
    /// Which items a tokeniser may be trained on (sequential.md §4.1 step 3, §4.8): `[N + 1]`
    /// flags, true for every item in a history (`items`) or a `target` of split `train`; index 0
    /// (padding) is false. Items seen only as validation or test targets are false.
    ///
    /// - Throws: ``DataError`` when the dataset has no `train` split or it lacks the columns.
    public func trainingItemFlags(itemCount: Int, items: String = "items", target: String = "target") throws -> [Bool] {
        let table = try split("train")
        var flags = [Bool](repeating: false, count: itemCount + 1)
        func mark(_ id: Int32) {
            if id > 0 && Int(id) <= itemCount { flags[Int(id)] = true }
        }
        let history = try table.requireColumn(items, reason: "the training histories tell which items a tokeniser is trained on")
        guard case .lists(let ids, _) = history.values else {
            throw DataError.missingRequirement(dataset: schema.name, column: items, reason: "expected an id list of item histories")
        }
        for index in 0..<ids.count { mark(ids[index]) }
        let targets = try table.requireColumn(target, reason: "the training targets are training items too")
        guard let targetIDs = targets.values.ids else {
            throw DataError.missingRequirement(dataset: schema.name, column: target, reason: "expected categorical item ids")
        }
        for index in 0..<targetIDs.count { mark(targetIDs[index]) }
        return flags
    }
}
