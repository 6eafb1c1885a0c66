import Foundation
import FunnelNN
import FunnelTensor
import Testing

/// Ranks as threads of one process, exchanging through shared mailboxes: what MPI's
/// all-to-all does between processes, for tests of the sharded tables without a launcher.
final class ThreadedRanks: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var mailbox: [[Any]]
    private var arrived = 0
    private var generation = 0
    /// Exchanges each rank has made.
    private(set) var exchanges: [Int]

    init(size: Int) {
        self.size = size
        mailbox = Array(repeating: Array(repeating: [Int32]() as Any, count: size), count: size)
        exchanges = Array(repeating: 0, count: size)
    }

    /// Runs `body` on `size` threads, one per rank, and returns their results in rank order.
    func run<Result>(_ body: @escaping @Sendable (Rank) -> Result) -> [Result] {
        let results = Results<Result>(count: size)
        let threads = (0..<size).map { rank in
            Thread { results.set(rank, body(Rank(rank: rank, ranks: self))) }
        }
        for thread in threads {
            thread.stackSize = 8 << 20
            thread.start()
        }
        return results.wait()
    }

    fileprivate func exchange(_ parts: [Any], from rank: Int) -> [Any] {
        condition.lock()
        for target in 0..<size { mailbox[rank][target] = parts[target] }
        exchanges[rank] += 1
        condition.unlock()
        barrier()
        condition.lock()
        let received = (0..<size).map { mailbox[$0][rank] }
        condition.unlock()
        barrier()
        return received
    }

    private func barrier() {
        condition.lock()
        defer { condition.unlock() }
        let current = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while current == generation { condition.wait() }
        }
    }

    /// One rank's side of the exchange.
    final class Rank: RowExchange, @unchecked Sendable {
        let rank: Int
        let ranks: ThreadedRanks
        var size: Int { ranks.size }

        init(rank: Int, ranks: ThreadedRanks) {
            self.rank = rank
            self.ranks = ranks
        }

        func exchange(_ parts: [[Int32]]) throws -> [[Int32]] {
            ranks.exchange(parts, from: rank).map { $0 as! [Int32] }
        }

        func exchange(_ parts: [[Float]]) throws -> [[Float]] {
            ranks.exchange(parts, from: rank).map { $0 as! [Float] }
        }
    }

    private final class Results<Result>: @unchecked Sendable {
        private let condition = NSCondition()
        private var values: [Result?]
        private var remaining: Int

        init(count: Int) {
            values = Array(repeating: nil, count: count)
            remaining = count
        }

        func set(_ index: Int, _ value: Result) {
            condition.lock()
            values[index] = value
            remaining -= 1
            condition.broadcast()
            condition.unlock()
        }

        func wait() -> [Result] {
            condition.lock()
            while remaining > 0 { condition.wait() }
            condition.unlock()
            return values.map { $0! }
        }
    }
}

/// Embedding tables split by rows over ranks (``EmbeddingShard``, ``EmbeddingSharding``): each
/// rank starts with its rows of the whole table, lookups read what the whole table holds,
/// gradient rows reach their owners summed over the ranks, a layer whose lookups depend on
/// the batch fetches once, and the placement follows its mode and the memory budget.
struct EmbeddingShardTests {
    static let rows = 23
    static let dimensions = 3

    /// The whole table, as a process alone builds it.
    static func whole(paddingID: Int32? = 4) -> Embedding {
        var generator = RandomGenerator(seed: 7)
        return Embedding(count: rows, dimensions: dimensions, paddingID: paddingID, shardable: true, generator: &generator)
    }

    /// Rank `rank`'s shard of the same table.
    static func shard(_ rank: ThreadedRanks.Rank, mode: EmbeddingSharding.Mode = .all, paddingID: Int32? = 4) -> Embedding {
        EmbeddingSharding(exchange: rank, mode: mode).withPlacement {
            var generator = RandomGenerator(seed: 7)
            return Embedding(count: rows, dimensions: dimensions, paddingID: paddingID, shardable: true, generator: &generator)
        }
    }

    @Test(arguments: [2, 3])
    func eachRankHoldsItsRowsOfTheWholeTable(ranks: Int) {
        let whole = Self.whole().table.scalars
        let shards = ThreadedRanks(size: ranks).run { rank in Self.shard(rank).table.scalars }
        for (rank, values) in shards.enumerated() {
            let expected: [Float] = stride(from: rank, to: Self.rows, by: ranks).flatMap { row in
                whole[row * Self.dimensions..<(row + 1) * Self.dimensions]
            }
            #expect(values == expected, "rank \(rank) of \(ranks)")
        }
        // The padding row (4) is zeros on its owner.
        #expect(whole[12..<15] == [0, 0, 0])
    }

    @Test func shardRowsAreDrawnAsTheWholeTablesRows() {
        let initializers: [Initializer] = [.glorotUniform, .glorotNormal, .heUniform, .heNormal, .fanInUniform, .uniform(low: -2, high: 3), .constant(0.5)]
        for initializer in initializers {
            var wholeGenerator = RandomGenerator(seed: 11)
            let whole = initializer.make([10, 4], fanIn: 10, fanOut: 4, using: &wholeGenerator).scalars
            for first in 0..<3 {
                var generator = RandomGenerator(seed: 11)
                let rows = initializer.make(rows: 10, dimensions: 4, keepingEvery: 3, from: first, using: &generator)
                #expect(rows.shape == [(10 - first + 2) / 3, 4])
                let expected: [Float] = stride(from: first, to: 10, by: 3).flatMap { row in whole[row * 4..<row * 4 + 4] }
                #expect(rows.scalars == expected, "\(initializer), rows from \(first)")
                #expect(rows.requiresGradient)
            }
        }
    }

    /// Every rank's ids: duplicates, the padding id, rows of every owner; rank 2's are few.
    static let ids: [[Int32]] = [[0, 5, 5, 22, 4, 13, 7, 0], [1, 2, 3, 4, 5, 6, 21, 21, 20, 9, 10], [17, 17, 8]]

    @Test func lookupsReadTheWholeTableAndGradientsReachTheirOwners() throws {
        let ranks = 3
        let total = Float(Self.ids.reduce(0) { $0 + $1.count })
        // Each rank's loss weights its outputs; a process alone sums the ranks' losses by share.
        let weights = Self.ids.enumerated().map { rank, ids in
            (0..<ids.count * Self.dimensions).map { Float(($0 * 7 + rank * 3) % 11) - 5 }
        }
        let whole = Self.whole()
        var wholeOutputs: [[Float]] = []
        var loss = Tensor(0)
        for (rank, ids) in Self.ids.enumerated() {
            let output = whole(ids)
            wholeOutputs.append(output.scalars)
            let weight = Tensor(shape: output.shape, scalars: weights[rank])
            loss = loss + (output * weight).sum() * Tensor(Float(ids.count) / total)
        }
        loss.backward()
        let (wholeRows, wholeValues) = whole.table.sparseGradient!.coalesced()

        let results = ThreadedRanks(size: ranks).run { rank in
            let embedding = Self.shard(rank)
            let ids = Self.ids[rank.rank]
            let output = embedding(ids)
            (output * Tensor(shape: output.shape, scalars: weights[rank.rank])).sum().backward()
            let share = Float(ids.count) / total
            try! embedding.shard!.exchangeGradients(into: embedding.table, share: share, anyRank: true)
            let (rows, values) = embedding.table.sparseGradient!.coalesced()
            return (output.scalars, rows.map { Int32(embedding.shard!.globalRow(Int($0))) }, values)
        }
        var gathered: [Int32: [Float]] = [:]
        for (rank, (output, rows, values)) in results.enumerated() {
            #expect(output == wholeOutputs[rank], "rank \(rank)'s lookups")
            for (index, row) in rows.enumerated() {
                #expect(Int(row) % ranks == rank, "row \(row) on rank \(rank)")
                gathered[row] = Array(values[index * Self.dimensions..<(index + 1) * Self.dimensions])
            }
        }
        #expect(gathered.keys.sorted() == wholeRows, "the rows with gradients")
        for (index, row) in wholeRows.enumerated() {
            let expected = wholeValues[index * Self.dimensions..<(index + 1) * Self.dimensions]
            let worst = zip(gathered[row] ?? [], expected).map { Swift.abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-6, "row \(row) differs by \(worst)")
        }
    }

    @Test func aRankWithoutGradientRowsStillCountsTheStep() throws {
        let results = ThreadedRanks(size: 2).run { rank in
            let embedding = Self.shard(rank)
            // Only rank 0 reads, and only its own rows (even ids): rank 1 receives nothing.
            let output = embedding(rank.rank == 0 ? [0, 2] : [])
            if rank.rank == 0 { output.sum().backward() }
            try! embedding.shard!.exchangeGradients(into: embedding.table, share: rank.rank == 0 ? 1 : 0, anyRank: true)
            return embedding.table.sparseGradient.map { $0.rows.count }
        }
        #expect(results == [2, 0], "both ranks hold a gradient, rank 1's without rows")
    }

    @Test func aFetchServesTheLookupsInsideItWithOneExchange() {
        let ranks = ThreadedRanks(size: 2)
        let whole = Self.whole()
        let outputs = ranks.run { rank in
            let embedding = Self.shard(rank)
            let ids: [Int32] = rank.rank == 0 ? [3, 8, 8, 15] : [1, 2, 4]
            // How many lookups follow depends on the rank's data: 2 on rank 0, 1 on rank 1.
            return embedding.fetchingRows(ids) {
                (rank.rank == 0 ? [[3, 8], [15, 8]] : [ids]).map { embedding($0).scalars }
            }
        }
        #expect(ranks.exchanges == [2, 2], "the ids and the vectors, once")
        #expect(outputs[0] == [whole([3, 8]).scalars, whole([15, 8]).scalars])
        #expect(outputs[1] == [whole([1, 2, 4]).scalars])
    }

    @Test func fieldEmbeddingPartsEqualTheWholeTablesOnEveryRank() {
        let sizes = [40, 3, 7]
        // Rank 0's second field repeats (an indexed part); rank 1's ids are all distinct.
        let ids: [[Int32]] = [
            [0, 1, 2, 5, 1, 6, 9, 2, 3, 39, 1, 0, 12, 1, 4, 20, 2, 6],
            [1, 0, 3, 2, 1, 4],
        ]
        var generator = RandomGenerator(seed: 3)
        let whole = FieldEmbedding(vocabularySizes: sizes, dimensions: 2, generator: &generator)
        let expected = ids.map { partValues(whole.linearParts($0, threshold: 0.5)) }
        let results = ThreadedRanks(size: 2).run { rank in
            let embedding = EmbeddingSharding(exchange: rank, mode: .all).withPlacement {
                var generator = RandomGenerator(seed: 3)
                return FieldEmbedding(vocabularySizes: sizes, dimensions: 2, generator: &generator)
            }
            return self.partValues(embedding.linearParts(ids[rank.rank], threshold: 0.5))
        }
        #expect(results == expected)
        #expect(expected[0].count != expected[1].count, "the ranks' batches took different parts")
    }

    private func partValues(_ parts: [Tensor.LinearPart]) -> [[Float]] {
        parts.map { part in
            switch part {
            case .rows(let rows): rows.scalars
            case .indexed(let values, let range, let inverse): values.scalars + [Float(range.lowerBound)] + inverse.map(Float.init)
            default: []
            }
        }
    }

    @Test func placementFollowsTheModeAndTheBudget() throws {
        let rank = ThreadedRanks(size: 2).run { $0 }[0]
        // 100 × 4 values with Adam's two moments: 4,800 bytes whole, 2,400 per rank split.
        func placed(_ mode: EmbeddingSharding.Mode, budget: Int?, shardable: Bool = true, exchange: ThreadedRanks.Rank?) -> EmbeddingSharding {
            let placement = EmbeddingSharding(exchange: exchange, mode: mode, budgetBytes: budget, stateValues: 2)
            placement.withPlacement {
                var generator = RandomGenerator(seed: 1)
                _ = Embedding(count: 100, dimensions: 4, shardable: shardable, generator: &generator)
            }
            return placement
        }
        #expect(placed(.none, budget: nil, exchange: rank).placements.map(\.sharded) == [false])
        #expect(placed(.all, budget: nil, exchange: rank).placements.map(\.sharded) == [true])
        #expect(placed(.all, budget: nil, shardable: false, exchange: rank).placements.map(\.sharded) == [false])
        #expect(placed(.auto, budget: nil, exchange: rank).placements.map(\.sharded) == [false])
        #expect(placed(.auto, budget: 4_800, exchange: rank).placements.map(\.sharded) == [false], "fits whole")
        let split = placed(.auto, budget: 4_000, exchange: rank)
        #expect(split.placements.map(\.sharded) == [true] && split.placements.map(\.bytes) == [2_400] && split.failure == nil)
        // Alone, and split over too few ranks: refused with the ranks that would do.
        let alone = try #require(placed(.auto, budget: 4_000, exchange: nil).failure)
        #expect(alone.contains("4.7 KiB per rank (the table of 100 × 4 whole") && alone.contains("mpirun -np 2"), "\(alone)")
        let tooFew = try #require(placed(.auto, budget: 1_000, exchange: rank).failure)
        #expect(tooFew.contains("split over 2 ranks") && tooFew.contains("mpirun -np 5"), "\(tooFew)")
        let unshardable = try #require(placed(.auto, budget: 1_000, shardable: false, exchange: rank).failure)
        #expect(unshardable.contains("cannot be split"), "\(unshardable)")
    }
}
