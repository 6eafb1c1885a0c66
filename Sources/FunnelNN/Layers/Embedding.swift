import FunnelTensor

/// A table of `count` learned vectors of `dimensions` values, read by id with row-sparse
/// gradients (only the rows a batch touched are updated by the optimizer).
///
/// Shapes: ids `[n]` (or any shape given as `shape`) → output `[n, dimensions]`
/// (`shape + [dimensions]`). A `paddingID` reads as zeros and receives no gradient, as
/// PyTorch's `padding_idx`.
///
/// A `shardable` table built inside an ``EmbeddingSharding`` placement that shards it holds
/// only its rank's rows (``shard``; `table` is then `[shard.localRows, dimensions]`): its
/// lookups fetch the other rows from their ranks. Only tables read through
/// ``callAsFunction(_:shape:)`` may be shardable.
public final class Embedding: Module {
    /// The rows (this rank's when sharded), `[count, dimensions]` or `[shard.localRows, dimensions]`.
    public let table: Tensor
    public let paddingID: Int32?
    /// This rank's part of a table split over the ranks; `nil` when the table is whole.
    public let shard: EmbeddingShard?

    public init(
        count: Int, dimensions: Int, paddingID: Int32? = nil,
        initializer: Initializer = .normal(mean: 0, standardDeviation: 1), shardable: Bool = false,
        generator: inout RandomGenerator
    ) {
        let placed = EmbeddingSharding.current?.place(rows: count, dimensions: dimensions, shardable: shardable)
        shard = placed.map {
            EmbeddingShard(rank: $0.rank, ranks: $0.ranks, totalRows: count, dimensions: dimensions, exchange: $0.exchange)
        }
        // A shard draws every row's values, as the whole table does, and keeps its own.
        table = shard.map {
            initializer.make(rows: count, dimensions: dimensions, keepingEvery: $0.ranks, from: $0.rank, using: &generator)
        } ?? initializer.make([count, dimensions], fanIn: count, fanOut: dimensions, using: &generator)
        self.paddingID = paddingID
        if let paddingID, shard.map({ Int(paddingID) % $0.ranks == $0.rank }) ?? true {
            let row = shard.map { Int(paddingID) / $0.ranks } ?? Int(paddingID)
            table.withUnsafeMutableBufferPointer { values in
                for column in 0..<dimensions { values[row * dimensions + column] = 0 }
            }
        }
        super.init()
    }

    /// The rows of the whole table.
    public var count: Int { shard?.totalRows ?? table.shape[0] }
    public var dimensions: Int { table.shape[1] }

    /// The vectors of `ids`, shaped `shape + [dimensions]` (default `[ids.count, dimensions]`).
    /// `touching`: further ids whose rows get a zero gradient row (read, not used: lazy
    /// optimizers step them as a lookup would; ``Tensor/embeddingLookups(_:touching:)``).
    public func callAsFunction(_ ids: [Int32], shape: [Int]? = nil, touching: [Int32] = []) -> Tensor {
        let rows = if let shard {
            shard.lookup(ids, table: table, paddingID: paddingID, recording: isTraining && GradientMode.isEnabled, touching: touching)
        } else if touching.isEmpty {
            table.embeddingLookup(ids, paddingID: paddingID)
        } else {
            Tensor.embeddingLookups([(table, ids, paddingID)], touching: [touching])
        }
        return shape.map { rows.reshaped($0 + [dimensions]) } ?? rows
    }

    /// Runs `body`, whose lookups read only `ids`, with their rows fetched from the other ranks
    /// once when the table is sharded (``EmbeddingShard/fetching(_:table:paddingID:recording:_:)``):
    /// a layer whose lookups depend on the batch's data (how many distinct ids a field has)
    /// still makes the same exchanges on every rank.
    public func fetchingRows<Result>(_ ids: [Int32], _ body: () throws -> Result) rethrows -> Result {
        guard let shard else { return try body() }
        return try shard.fetching(ids, table: table, paddingID: paddingID, recording: isTraining && GradientMode.isEnabled, body)
    }
}

/// Embeddings for many categorical fields at once: either one table per field or one shared
/// table with per-field row offsets (one lookup for all fields: what DLRM-style models do),
/// optionally hashing large vocabularies into fewer rows.
///
/// Shapes: ids `[batch, fields]` row-major → output `[batch, fields, dimensions]`.
public final class FieldEmbedding: Module {
    public let tables: [Embedding]
    /// The first row of each field in a shared table.
    public let offsets: [Int32]
    /// The rows each field uses (its vocabulary, or the bucket count when hashed).
    public let rowsPerField: [Int]
    public let dimensions: Int

    /// - Parameters:
    ///   - vocabularySizes: the ids of field f lie in `0 ..< vocabularySizes[f]`.
    ///   - dimensions: the vector width.
    ///   - shared: one table with offsets (default) or one table per field.
    ///   - hashBuckets: fields with more ids than this share `hashBuckets` rows (id mod buckets).
    public init(
        vocabularySizes: [Int], dimensions: Int, shared: Bool = true, hashBuckets: Int? = nil,
        initializer: Initializer = .normal(mean: 0, standardDeviation: 1), generator: inout RandomGenerator
    ) {
        let rows = vocabularySizes.map { size in hashBuckets.map { Swift.min(size, $0) } ?? size }
        rowsPerField = rows
        self.dimensions = dimensions
        if shared {
            var running: Int32 = 0
            offsets = rows.map { size in
                defer { running += Int32(size) }
                return running
            }
            tables = [Embedding(
                count: rows.reduce(0, +), dimensions: dimensions, initializer: initializer, shardable: true, generator: &generator)]
        } else {
            offsets = Array(repeating: 0, count: rows.count)
            tables = rows.map {
                Embedding(count: $0, dimensions: dimensions, initializer: initializer, shardable: true, generator: &generator)
            }
        }
        super.init()
    }

    public var fieldCount: Int { rowsPerField.count }

    /// - Parameter ids: `[batch × fields]` ids, row-major.
    public func callAsFunction(_ ids: [Int32]) -> Tensor {
        let fields = fieldCount
        precondition(ids.count % fields == 0, "Funnel: \(ids.count) ids for \(fields) fields")
        let batch = ids.count / fields
        if tables.count == 1 { return tables[0](sharedRows(ids), shape: [batch, fields]) }
        let columns = (0..<fields).map { field in
            tables[field]((0..<batch).map { checkedRow(ids[$0 * fields + field], field: field) }, shape: [batch, 1])
        }
        return Tensor.concatenated(columns, alongAxis: 1)
    }

    /// The shared table's row of every id (`[batch × fields]`, row-major): its field's offset
    /// plus its row within the field.
    func sharedRows(_ ids: [Int32]) -> [Int32] {
        let fields = fieldCount
        return [Int32](unsafeUninitializedCapacity: ids.count) { rows, count in
            for start in stride(from: 0, to: ids.count, by: fields) {
                for field in 0..<fields {
                    rows[start + field] = offsets[field] + checkedRow(ids[start + field], field: field)
                }
            }
            count = ids.count
        }
    }

    private func checkedRow(_ id: Int32, field: Int) -> Int32 {
        precondition(id >= 0, "Funnel: negative id \(id) in field \(field)")
        let rows = Int32(rowsPerField[field])
        // Only hashed fields wrap; a division per id is a visible share of a small model's step.
        return id < rows ? id : id % rows
    }
}

/// Pools an embedded id list over its valid positions.
///
/// Shapes: embeddings `[batch, length, dimensions]`, mask `[batch, length]` (1 = real id) →
/// `[batch, dimensions]`. The mean of an empty list is 0.
public enum SequencePooling: String, Sendable, Codable, CaseIterable, StrictEnum {
    case sum, mean

    public func callAsFunction(_ embeddings: Tensor, mask: Tensor) -> Tensor {
        let masked = embeddings * mask.reshaped(mask.shape + [1])
        let summed = masked.sum(alongAxes: [1])
        guard self == .mean else { return summed }
        let counts = Tensor.maximum(mask.sum(alongAxes: [1], keepingDimensions: true), Tensor(1))
        return summed / counts
    }
}
