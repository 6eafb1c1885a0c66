import FunnelTensor

/// Cuts a split into mini-batches: an optional row filter (samplers such as USD's plug in
/// here), a seeded shuffle per epoch, fixed-length sequences with masks, side tables joined,
/// grouping keys carried along.
///
/// Id lists are padded with their column's ``paddingIDs`` entry (the vocabulary size, one past
/// every real id) and masked; a row whose side-table key is missing gets a list of nothing but
/// padding. A gathered id-list column without a vocabulary is refused when the batcher is made.
///
/// The same seed, epoch and filter give the same batches on every run and machine.
public struct Batcher: Sendable {
    /// Decides whether a row takes part in an epoch; may draw from `random` (seeded per epoch).
    public typealias RowFilter = @Sendable (_ row: Int, _ epoch: Int, _ random: inout RandomGenerator) -> Bool

    public let table: Table
    public let sideTables: [String: Table]
    public var batchSize: Int
    public var shuffle: Bool
    public var seed: UInt64
    /// Whether a last batch smaller than `batchSize` is dropped.
    public var dropLast: Bool
    /// The columns to gather (all when `nil`); side-table columns as `"side.column"`.
    public var columns: Set<String>?
    /// Fixed lengths and padding for id lists and timestamp lists (a list column without a
    /// policy keeps its longest length in the batch, padded at the end).
    public var sequences: [String: SequencePolicy]
    public var filter: RowFilter?
    /// Negatives drawn for every row by ``batch(_:random:)``.
    public let negativeSampling: NegativeSampling?
    private let catalogue: Range<Int32>
    /// The id that pads each gathered id-list column (side-table columns as `"side.column"`):
    /// the size of its vocabulary, one past every real id.
    public let paddingIDs: [String: Int32]

    /// - Throws: `DataError.missingRequirement` naming a requested column the split lacks, or
    ///   a gathered id-list column without a vocabulary.
    public init(
        dataset: Dataset, split: String, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0,
        dropLast: Bool = false, columns: Set<String>? = nil, sequences: [String: SequencePolicy] = [:],
        filter: RowFilter? = nil, negativeSampling: NegativeSampling? = nil
    ) throws {
        try self.init(
            dataset: dataset, table: try dataset.split(split), batchSize: batchSize, shuffle: shuffle, seed: seed,
            dropLast: dropLast, columns: columns, sequences: sequences, filter: filter, negativeSampling: negativeSampling)
    }

    /// The batcher of a table of `dataset` that is not one of its splits (rows encoded by
    /// ``RowEncoder``), joined to its side tables.
    public init(
        dataset: Dataset, table: Table, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0,
        dropLast: Bool = false, columns: Set<String>? = nil, sequences: [String: SequencePolicy] = [:],
        filter: RowFilter? = nil, negativeSampling: NegativeSampling? = nil
    ) throws {
        precondition(batchSize > 0, "Funnel: batch size must be positive")
        self.table = table
        sideTables = dataset.sideTables
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        // The row's own id is gathered: a negative never equals it.
        self.columns = negativeSampling.map { columns?.union([$0.column]) } ?? columns
        self.sequences = sequences
        self.filter = filter
        self.negativeSampling = negativeSampling
        catalogue = try negativeSampling?.catalogue(in: dataset) ?? 0..<0
        paddingIDs = try Self.paddingIDs(dataset: dataset, table: table, columns: columns)
        if let columns {
            for name in columns where table.column(name) == nil && sideColumn(name) == nil {
                throw DataError.missingRequirement(
                    dataset: dataset.schema.name, column: name, reason: "requested for batches of table '\(table.name)'")
            }
        }
    }

    /// The padding id of every id-list column of `table` and of its joined side tables (those
    /// without a vocabulary are refused when `columns` selects them, and left out otherwise).
    private static func paddingIDs(dataset: Dataset, table: Table, columns: Set<String>?) throws -> [String: Int32] {
        let sources = [("", table)] + table.joins.keys.sorted().compactMap { name in
            dataset.sideTables[name].map { (name + ".", $0) }
        }
        var result: [String: Int32] = [:]
        for (prefix, source) in sources {
            for column in source.columns {
                let name = prefix + column.schema.name
                guard case .lists = column.values else { continue }
                guard let vocabulary = dataset.vocabularies[column.schema.vocabularyOf ?? column.schema.name] else {
                    guard columns?.contains(name) ?? true else { continue }
                    throw DataError.missingRequirement(
                        dataset: dataset.schema.name, column: name,
                        reason: "an id list needs a vocabulary: its size is the id that pads the list")
                }
                result[name] = Int32(vocabulary.size)
            }
        }
        return result
    }

    /// The rows of an epoch, filtered and shuffled, in batch order.
    public func rowOrder(epoch: Int) -> [Int32] {
        var random = RandomGenerator(seed: seed &+ 0x5851_F42D_4C95_7F2D &* UInt64(epoch + 1))
        var rows: [Int32]
        if let filter {
            rows = []
            rows.reserveCapacity(table.rowCount)
            for row in 0..<table.rowCount where filter(row, epoch, &random) { rows.append(Int32(row)) }
        } else {
            rows = (0..<Int32(table.rowCount)).map { $0 }
        }
        if shuffle {
            for index in stride(from: rows.count - 1, to: 0, by: -1) {
                let other = Int(random.next() % UInt64(index + 1))
                rows.swapAt(index, other)
            }
        }
        return rows
    }

    /// The batches of an epoch.
    public func batches(epoch: Int) -> [ArraySlice<Int32>] {
        let rows = rowOrder(epoch: epoch)
        var result: [ArraySlice<Int32>] = []
        var start = 0
        while start < rows.count {
            let end = Swift.min(start + batchSize, rows.count)
            if end - start < batchSize && dropLast { break }
            result.append(rows[start..<end])
            start = end
        }
        return result
    }

    /// Gathers the given rows into a batch.
    public func batch(_ rows: ArraySlice<Int32>) -> Batch {
        var batch = Batch(rows: Array(rows))
        gather(table, rows: batch.rows, prefix: "", into: &batch)
        for (name, join) in table.joins.sorted(by: { $0.key < $1.key }) {
            guard let side = sideTables[name] else { continue }
            let sideRows = batch.rows.map { join[Int($0)] }
            batch.present[name] = sideRows.map { $0 >= 0 ? 1 : 0 }
            gather(side, rows: sideRows, prefix: name + ".", into: &batch)
        }
        return batch
    }

    /// Gathers the given rows into a batch and draws its negatives (when sampled) from `random`.
    public func batch(_ rows: ArraySlice<Int32>, random: inout RandomGenerator) -> Batch {
        var batch = batch(rows)
        if let sampling = negativeSampling {
            batch.negatives[sampling.column] = NegativeSampling.draw(
                for: batch.ids[sampling.column] ?? Array(repeating: -1, count: batch.size), count: sampling.count, catalogue: catalogue, using: &random)
        }
        return batch
    }

    private func wanted(_ name: String) -> Bool {
        columns?.contains(name) ?? true
    }

    private func sideColumn(_ name: String) -> Column? {
        guard let dot = name.firstIndex(of: ".") else { return nil }
        return sideTables[String(name[..<dot])]?.column(String(name[name.index(after: dot)...]))
    }

    /// Copies the values of `rows` (−1 gives zeros, and id lists of padding) of every wanted
    /// column of `source`.
    private func gather(_ source: Table, rows: [Int32], prefix: String, into batch: inout Batch) {
        let columns = source.columns.filter { wanted(prefix + $0.schema.name) }
        // Every value is a cache miss in a shuffled epoch and the columns are independent: they
        // are gathered on the threads side by side, then merged.
        let tasks = rows.count * columns.count >= 1 << 14 ? Swift.min(Compute.threadCount, columns.count) : 1
        guard tasks > 1 else {
            for column in columns { gather(column, rows: rows, prefix: prefix, into: &batch) }
            return
        }
        var partials = [Batch](repeating: Batch(rows: []), count: tasks)
        partials.withUnsafeMutableBufferPointer { partials in
            Compute.parallelFor(tasks: tasks) { task in
                for column in columns[Compute.range(of: task, tasks: tasks, count: columns.count)] {
                    gather(column, rows: rows, prefix: prefix, into: &partials[task])
                }
            }
        }
        for partial in partials { batch.merge(partial) }
    }

    /// Copies the values of `rows` of `column` into `batch` (see the table form above).
    private func gather(_ column: Column, rows: [Int32], prefix: String, into batch: inout Batch) {
        let name = prefix + column.schema.name
        switch column.values {
        case .ids(let values): batch.ids[name] = rows.map { $0 >= 0 ? values[Int($0)] : 0 }
        case .floats(let values): batch.floats[name] = rows.map { $0 >= 0 ? values[Int($0)] : 0 }
        case .integers(let values): batch.integers[name] = rows.map { $0 >= 0 ? values[Int($0)] : 0 }
        case .lists(let ids, let offsets):
            guard let paddingID = paddingIDs[name] else {
                preconditionFailure("Funnel: id list '\(name)' has no vocabulary, so no padding id")
            }
            batch.sequences[name] = pad(
                ids: ids, offsets: offsets, rows: rows, policy: sequences[name], paddingID: paddingID)
        case .timestampLists(let values, let offsets):
            batch.timestampSequences[name] = pad(
                times: values, offsets: offsets, rows: rows, policy: sequences[name])
        }
        if let keys = column.keys { batch.keys[name] = rows.map { $0 >= 0 ? keys[Int($0)] : 0 } }
    }

    private func pad(
        ids: ColumnBuffer<Int32>, offsets: ColumnBuffer<Int64>, rows: [Int32], policy: SequencePolicy?,
        paddingID: Int32
    ) -> PaddedSequence {
        let length = policy?.length ?? longest(offsets, rows: rows)
        var sequence = PaddedSequence(
            length: length, ids: [Int32](repeating: paddingID, count: rows.count * length),
            mask: [Float](repeating: 0, count: rows.count * length), paddingID: paddingID)
        place(offsets: offsets, rows: rows, length: length, policy: policy) { target, source in
            sequence.ids[target] = ids[source]
            sequence.mask[target] = 1
        }
        return sequence
    }

    private func pad(
        times: ColumnBuffer<Int64>, offsets: ColumnBuffer<Int64>, rows: [Int32], policy: SequencePolicy?
    ) -> PaddedTimestamps {
        let length = policy?.length ?? longest(offsets, rows: rows)
        var sequence = PaddedTimestamps(
            length: length, values: [Int64](repeating: 0, count: rows.count * length),
            mask: [Float](repeating: 0, count: rows.count * length))
        place(offsets: offsets, rows: rows, length: length, policy: policy) { target, source in
            sequence.values[target] = times[source]
            sequence.mask[target] = 1
        }
        return sequence
    }

    private func longest(_ offsets: ColumnBuffer<Int64>, rows: [Int32]) -> Int {
        rows.map { $0 >= 0 ? Int(offsets[Int($0) + 1] - offsets[Int($0)]) : 0 }.max() ?? 0
    }

    /// Calls `copy(target, source)` for every kept element: its position in the batch's
    /// `[size, length]` matrix and its index in the column's values. Without a policy, lists
    /// keep their last elements and are padded at the end.
    private func place(
        offsets: ColumnBuffer<Int64>, rows: [Int32], length: Int, policy: SequencePolicy?,
        _ copy: (_ target: Int, _ source: Int) -> Void
    ) {
        let policy = policy ?? SequencePolicy(length: length)
        for (position, row) in rows.enumerated() where row >= 0 {
            let start = Int(offsets[Int(row)])
            let count = Int(offsets[Int(row) + 1]) - start
            let (first, kept, offset) = policy.placement(count: count, length: length)
            for index in 0..<kept { copy(position * length + offset + index, start + first + index) }
        }
    }
}
