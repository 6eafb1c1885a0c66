import FunnelDistributed
import FunnelNN
import FunnelTensor

/// The communicator as the exchange sharded embedding tables use (``RowExchange``): the same
/// all-to-all, typed.
final class CommunicatorRowExchange: RowExchange {
    let communicator: Communicator

    init(_ communicator: Communicator) {
        self.communicator = communicator
    }

    var rank: Int { communicator.rank }
    var size: Int { communicator.size }

    func exchange(_ parts: [[Int32]]) throws -> [[Int32]] {
        try communicator.allToAll(parts)
    }

    func exchange(_ parts: [[Float]]) throws -> [[Float]] {
        try communicator.allToAll(parts)
    }
}

/// A model's embedding tables split over the ranks (``EmbeddingShard``), by parameter name, in
/// declaration order (the same on every rank).
struct ShardedTable {
    /// The table's parameter name (`….table`), as checkpoints key it.
    let name: String
    let embedding: Embedding

    var shard: EmbeddingShard { embedding.shard! }
    var table: Tensor { embedding.table }

    static func all(in model: Module) -> [ShardedTable] {
        model.namedModules().compactMap { name, module in
            guard let embedding = module as? Embedding, embedding.shard != nil else { return nil }
            return ShardedTable(name: name + ".table", embedding: embedding)
        }
    }
}

extension OptimizerConfiguration {
    /// The optimizer state values kept per parameter value by the most demanding of the
    /// configured optimizers (Adam's two moments, Adagrad's accumulator, SGD none): what a
    /// table's rows cost beyond their values, for the memory budget.
    var stateValuesPerParameter: Int {
        ([kind] + groups.compactMap(\.kind)).map { kind in
            switch kind {
            case .adam, .adamW: 2
            case .adagrad, .adagradDecayV2: 1
            case .sgd: 0
            }
        }.max() ?? 0
    }
}

/// Which embedding tables a run splits over its ranks (``EmbeddingSharding/Mode``), and the
/// memory budget of one rank's tables with their optimizer state.
public struct EmbeddingPlacement: Sendable, Equatable {
    public var mode: EmbeddingSharding.Mode
    /// Bytes; `nil`: no limit.
    public var memoryBudgetBytes: Int?

    public init(mode: EmbeddingSharding.Mode = .auto, memoryBudgetBytes: Int? = nil) {
        self.mode = mode
        self.memoryBudgetBytes = memoryBudgetBytes
    }
}
