import FunnelTensor

/// One rank's rows of an embedding table split over the ranks of a distributed run (row-wise
/// sharding, as TorchRec's): global row `g` lives on rank `g mod ranks`, as its local row
/// `g / ranks`, so the ranks hold within one row of each other and a table resumes on any
/// number of ranks by the same rule. The optimizer state of a row lives with it (the shard is
/// the parameter the optimizer steps).
///
/// A lookup sends each distinct id to its owner and receives its vector back (two all-to-all
/// exchanges), then reads the vectors as a small table of its own, whose row-sparse gradient
/// the backward pass fills as any table's. After the backward pass,
/// ``exchangeGradients(into:share:anyRank:)`` sends those gradient rows to their owners, which
/// add them in rank order. Every rank must run the same lookups in the same order (the same
/// model on batches of its share), as every collective requires.
public final class EmbeddingShard {
    public let rank: Int
    public let ranks: Int
    /// The rows of the whole table.
    public let totalRows: Int
    public let dimensions: Int
    let exchange: any RowExchange
    /// The lookups of this training step, with their distinct ids, waiting for their gradients.
    private var pending: [(ids: [Int32], vectors: Tensor)] = []
    /// The vectors fetched for the lookups of the enclosing ``fetching(_:table:paddingID:recording:_:)``.
    private var fetched: (index: [Int32: Int32], vectors: Tensor, padding: Int32)?
    /// Bytes this rank has sent: ids and vectors of lookups, gradient rows.
    public private(set) var sentBytes = (lookups: 0, gradients: 0)

    init(rank: Int, ranks: Int, totalRows: Int, dimensions: Int, exchange: any RowExchange) {
        self.rank = rank
        self.ranks = ranks
        self.totalRows = totalRows
        self.dimensions = dimensions
        self.exchange = exchange
    }

    /// The rows rank `rank` of `ranks` holds of a `total`-row table.
    public static func localRows(total: Int, rank: Int, ranks: Int) -> Int {
        total > rank ? (total - rank + ranks - 1) / ranks : 0
    }

    /// The rows this rank holds.
    public var localRows: Int { Self.localRows(total: totalRows, rank: rank, ranks: ranks) }

    /// The global row of local row `local`.
    public func globalRow(_ local: Int) -> Int { local * ranks + rank }

    /// Whether rows are fetched for the lookups of a ``fetching(_:table:paddingID:recording:_:)`` now.
    public var isFetching: Bool { fetched != nil }

    /// Whether a lookup of this step has gradient rows to send.
    public var hasPendingGradient: Bool {
        pending.contains { $0.vectors.sparseGradient?.rows.isEmpty == false }
    }

    /// The vectors of `ids` (global rows), `[ids.count, dimensions]`: read from the rows
    /// fetched by the enclosing ``fetching(_:table:paddingID:recording:_:)``, or fetched for
    /// this lookup alone.
    /// `touching`: ids whose fetched rows get a zero gradient row.
    func lookup(_ ids: [Int32], table: Tensor, paddingID: Int32?, recording: Bool, touching: [Int32] = []) -> Tensor {
        guard let fetched else {
            return fetching(ids + touching, table: table, paddingID: paddingID, recording: recording) {
                lookup(ids, table: table, paddingID: paddingID, recording: recording, touching: touching)
            }
        }
        let positions = { (ids: [Int32]) in
            ids.map { id in
                guard id != paddingID else { return fetched.padding }
                guard let position = fetched.index[id] else {
                    preconditionFailure("Funnel: id \(id) was not fetched for this lookup of a sharded table")
                }
                return position
            }
        }
        return Tensor.embeddingLookups(
            [(fetched.vectors, positions(ids), paddingID == nil ? nil : fetched.padding)],
            touching: touching.isEmpty ? [] : [positions(touching)])
    }

    /// Runs `body` with the vectors of `ids` fetched once from their ranks (two all-to-all
    /// exchanges), so that its lookups (of these ids only) read them without exchanging: the
    /// ranks then exchange once per call whatever lookups the batch's data leads `body` to make.
    /// Keeps the fetched vectors for the gradient exchange when `recording`.
    func fetching<Result>(_ ids: [Int32], table: Tensor, paddingID: Int32?, recording: Bool, _ body: () throws -> Result) rethrows -> Result {
        precondition(fetched == nil, "Funnel: rows of a sharded table fetched inside another fetch")
        if let position = ids.firstIndex(where: { $0 < 0 || Int($0) >= totalRows }) {
            preconditionFailure("Funnel: id \(ids[position]) at position \(position) outside the table's \(totalRows) rows")
        }
        let distinct = Array(Set(ids.lazy.filter { $0 != paddingID })).sorted()
        var requests = [[Int32]](repeating: [], count: ranks)
        for id in distinct { requests[Int(id) % ranks].append(id / Int32(ranks)) }
        let vectors = Tensor(shape: [distinct.count + 1, dimensions], repeating: 0)
        do {
            let asked = try exchange.exchange(requests)
            let answers = asked.map { rows in
                table.withUnsafeBufferPointer { values in
                    rows.flatMap { values[Int($0) * dimensions..<(Int($0) + 1) * dimensions] }
                }
            }
            let received = try exchange.exchange(answers)
            sentBytes.lookups += bytesToOthers(requests) + bytesToOthers(answers)
            // Distinct ids are sorted, so each owner's answers come in the order of its ids.
            var next = [Int](repeating: 0, count: ranks)
            vectors.withUnsafeMutableBufferPointer { target in
                for (index, id) in distinct.enumerated() {
                    let owner = Int(id) % ranks
                    let start = next[owner] * dimensions
                    for column in 0..<dimensions { target[index * dimensions + column] = received[owner][start + column] }
                    next[owner] += 1
                }
            }
        } catch {
            preconditionFailure("Funnel: the lookup of a sharded embedding table failed between the ranks: \(error)")
        }
        var index: [Int32: Int32] = [:]
        index.reserveCapacity(distinct.count)
        for (position, id) in distinct.enumerated() { index[id] = Int32(position) }
        vectors.requiresGradient = recording
        if recording { pending.append((distinct, vectors)) }
        // The padding id reads the last row, of zeros, and sends no gradient.
        fetched = (index, vectors, Int32(distinct.count))
        defer { fetched = nil }
        return try body()
    }

    /// The bytes of the parts of an exchange that leave this rank (4-byte values).
    private func bytesToOthers<Value>(_ parts: [[Value]]) -> Int {
        4 * parts.indices.reduce(0) { $0 + ($1 == rank ? 0 : parts[$1].count) }
    }

    /// Sends this step's gradient rows, multiplied by `share` (this rank's part of the global
    /// batch; 0 sends none), to their owners, and sets `table`'s row-sparse gradient to the rows
    /// every rank sent here, in rank order — an empty one when only other ranks' rows had
    /// gradients, `anyRank`, so that the optimizer counts the step as a whole table's would.
    /// - Returns: the bytes this rank sent.
    @discardableResult
    public func exchangeGradients(into table: Tensor, share: Float, anyRank: Bool) throws -> Int {
        defer { pending = [] }
        let gathered = RowSparseGradient(width: dimensions)
        if share != 0 {
            for (ids, vectors) in pending {
                guard let gradient = vectors.sparseGradient else { continue }
                let (rows, values) = gradient.coalesced()
                gathered.append(RowSparseGradient(width: dimensions, rows: rows.map { ids[Int($0)] }, values: values), scaledBy: share)
            }
        }
        let (rows, values) = gathered.coalesced()
        var (sentRows, sentValues) = ([[Int32]](repeating: [], count: ranks), [[Float]](repeating: [], count: ranks))
        for (index, row) in rows.enumerated() {
            let owner = Int(row) % ranks
            sentRows[owner].append(row / Int32(ranks))
            sentValues[owner].append(contentsOf: values[index * dimensions..<(index + 1) * dimensions])
        }
        let (receivedRows, receivedValues) = (try exchange.exchange(sentRows), try exchange.exchange(sentValues))
        let bytes = bytesToOthers(sentRows) + bytesToOthers(sentValues)
        sentBytes.gradients += bytes
        guard anyRank else {
            table.sparseGradient = nil
            return bytes
        }
        let gradient = RowSparseGradient(width: dimensions)
        for (rows, values) in zip(receivedRows, receivedValues) where !rows.isEmpty {
            gradient.append(RowSparseGradient(width: dimensions, rows: rows, values: values))
        }
        table.sparseGradient = gradient
        return bytes
    }
}
