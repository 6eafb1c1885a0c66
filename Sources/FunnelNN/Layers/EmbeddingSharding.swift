import FunnelTensor

/// The exchange between the ranks of a distributed run that sharded embedding tables need:
/// personalised all-to-all of ids and of values (MPI's `MPI_Alltoallv`). The trainer adapts
/// its communicator to it, so that this module knows nothing of MPI.
public protocol RowExchange: AnyObject, Sendable {
    /// This process's rank, `0 ..< size`.
    var rank: Int { get }
    /// The ranks of the run.
    var size: Int { get }
    /// `parts[r]` goes to rank r; returns what every rank sent here, in rank order.
    func exchange(_ parts: [[Int32]]) throws -> [[Int32]]
    /// `parts[r]` goes to rank r; returns what every rank sent here, in rank order.
    func exchange(_ parts: [[Float]]) throws -> [[Float]]
}

/// Where a run's embedding tables live: whole on every rank (replicated, the data-parallel
/// default) or split by rows over the ranks (row-wise sharding, as TorchRec's planner does for
/// tables that outgrow one machine), and what they may cost per rank.
///
/// A model is built inside ``withPlacement(_:_:)``; every ``Embedding`` created with
/// `shardable: true` (the categorical fields' tables, ``FieldEmbedding``: read only through their
/// lookups) asks ``place(rows:dimensions:shardable:)`` whether to hold all its rows or only its
/// shard's. Tables are placed in the order the model creates them, the same on every rank.
///
/// A table's cost per rank counts its values and the optimizer state the run keeps per value
/// (Adam's two moments, Adagrad's accumulator): `rows × dimensions × 4 × (1 + stateValues)`
/// bytes, rows being its shard's when sharded.
public final class EmbeddingSharding: @unchecked Sendable {
    /// Which shardable tables are split over the ranks.
    public enum Mode: String, Sendable, CaseIterable, Codable, StrictEnum {
        /// Those that would not fit the memory budget replicated (none without a budget), in the
        /// order the model creates them.
        case auto
        /// Every shardable table of at least two rows per rank.
        case all
        /// None: every table whole on every rank.
        case none
    }

    /// One table as placed.
    public struct Placement: Sendable, Equatable {
        public var rows: Int
        public var dimensions: Int
        /// Whether its rows are split over the ranks.
        public var sharded: Bool
        /// What it costs this rank, with its optimizer state.
        public var bytes: Int
    }

    public let exchange: (any RowExchange)?
    public let mode: Mode
    /// The bytes of embedding tables (with their optimizer state) one rank may hold; `nil`: no limit.
    public let budgetBytes: Int?
    /// Optimizer state values kept per table value (Adam 2, Adagrad 1, SGD 0).
    public let stateValues: Int
    /// The tables placed so far, in creation order.
    public private(set) var placements: [Placement] = []
    /// Why the tables do not fit the budget, once one does not.
    public private(set) var failure: String?

    @TaskLocal static var current: EmbeddingSharding?

    /// - Parameters:
    ///   - exchange: the ranks' exchange; `nil` for a process alone (nothing is sharded, the
    ///     budget still holds).
    public init(exchange: (any RowExchange)?, mode: Mode = .auto, budgetBytes: Int? = nil, stateValues: Int = 0) {
        self.exchange = exchange
        self.mode = mode
        self.budgetBytes = budgetBytes
        self.stateValues = stateValues
    }

    /// Builds (a model) with this placement in force for the tables created inside.
    public func withPlacement<Result>(_ body: () throws -> Result) rethrows -> Result {
        try Self.$current.withValue(self) { try body() }
    }

    /// The bytes of embedding tables (with their optimizer state) on this rank.
    public var bytesPerRank: Int { placements.reduce(0) { $0 + $1.bytes } }

    /// Places a table of `rows × dimensions`: the shard it holds on this rank, or `nil` to
    /// hold it whole. Records a ``failure`` when the tables placed so far exceed the budget.
    func place(rows: Int, dimensions: Int, shardable: Bool) -> (rank: Int, ranks: Int, exchange: any RowExchange)? {
        let ranks = exchange?.size ?? 1
        let whole = tableBytes(rows: rows, dimensions: dimensions)
        let splittable = shardable && ranks > 1 && rows >= 2 * ranks
        let sharded = switch mode {
        case .none: false
        case .all: splittable
        case .auto: splittable && budgetBytes.map { bytesPerRank + whole > $0 } ?? false
        }
        let local = sharded ? EmbeddingShard.localRows(total: rows, rank: exchange!.rank, ranks: ranks) : rows
        placements.append(Placement(rows: rows, dimensions: dimensions, sharded: sharded, bytes: tableBytes(rows: local, dimensions: dimensions)))
        if failure == nil, let budgetBytes, bytesPerRank > budgetBytes {
            let mebibytes = { (bytes: Int) in
                bytes < 1 << 20 ? String(format: "%.1f KiB", Double(bytes) / 1_024) : String(format: "%.2f MiB", Double(bytes) / 1_048_576)
            }
            let rowBytes = tableBytes(rows: 1, dimensions: dimensions)
            // The fewest ranks whose largest shard fits beside the tables placed before it.
            let room = (budgetBytes - (bytesPerRank - placements.last!.bytes)) / rowBytes
            let needed = room >= 2 ? (rows + room - 1) / room : nil
            let advice = !shardable ? "; this table cannot be split over ranks"
                : needed.map { "; train on \($0) or more ranks (mpirun -np \($0)) to split it" + (mode == .none ? " without --shard-embeddings none" : "") }
                ?? "; the other tables leave no room for it"
            failure = "the embedding tables need \(mebibytes(bytesPerRank)) per rank (the table of \(rows) × \(dimensions) "
                + (sharded ? "split over \(ranks) ranks" : "whole") + (stateValues > 0 ? ", with the optimizer's \(stateValues) state values per value" : "")
                + "), over the memory budget of \(mebibytes(budgetBytes))" + advice
        }
        guard sharded, let exchange else { return nil }
        return (exchange.rank, ranks, exchange)
    }

    private func tableBytes(rows: Int, dimensions: Int) -> Int {
        rows * dimensions * MemoryLayout<Float>.stride * (1 + stateValues)
    }
}
