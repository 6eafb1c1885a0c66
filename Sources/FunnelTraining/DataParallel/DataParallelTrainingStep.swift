import FunnelData
import FunnelDistributed
import FunnelModels
import FunnelNN
import FunnelTensor

/// The standard step (forward → objective → backward → clip → update) on this rank's shard of
/// a global batch, with the gradients summed across the ranks (``GradientExchange``) before
/// the clip and the update, so that every rank takes the step a single process takes on the
/// global batch — up to the order of the additions (each rank sums its own rows first).
///
/// Exact for objectives whose tasks are means over rows (every row, or the subset a task
/// declares) plus terms that do not depend on the rows (a penalty on the parameters); an
/// objective that couples a batch's rows (in-batch negatives, batch statistics, a task adding
/// means over two subsets) sees each shard alone, as in every data-parallel trainer.
///
/// The returned objective holds the global batch's loss and logged values (the ranks' values
/// weighted by their shares), so every rank logs what a single process would. A task that is a
/// mean over a subset of the rows (``Objective/Task/rows``: a CVR loss over the clicked rows)
/// counts each rank by its share of that subset, so that the step is the single process's;
/// other logged values (counts, means) are weighted by the ranks' shares of the batch.
///
/// Embedding tables split over the ranks (``EmbeddingShard``) fetch their rows in the forward
/// pass and send their gradient rows to the rows' owners after the backward pass; gradient
/// clipping takes the norm over every rank's shard. A rank whose share of a batch is empty (a
/// last batch of fewer rows than ranks) still runs a stand-in row, counted as none, so that it
/// takes part in the tables' exchanges.
final class DataParallelTrainingStep: TrainingStep {
    let communicator: Communicator
    /// Bytes this rank has sent in the gradient exchanges, over all steps: dense gradients, and
    /// embedding rows of replicated tables.
    private(set) var sentBytes = (dense: 0, sparse: 0)
    /// Rows of the global batches trained, over all steps.
    private(set) var globalSamples = 0
    /// Whether the next batch is a stand-in row for an empty share (it counts as no rows).
    var nextBatchIsStandIn = false
    private var sharded: (model: ObjectIdentifier, tables: [ShardedTable])?

    init(communicator: Communicator) {
        self.communicator = communicator
    }

    /// The model's tables split over the ranks.
    func shardedTables(of model: any FunnelModel) -> [ShardedTable] {
        if let sharded, sharded.model == ObjectIdentifier(model) { return sharded.tables }
        let tables = ShardedTable.all(in: model)
        sharded = (ObjectIdentifier(model), tables)
        return tables
    }

    func train(_ model: any FunnelModel, on batch: Batch, optimizer: OptimizerGroups, clipNorm: Float?) throws -> Objective {
        let standIn = nextBatchIsStandIn
        nextBatchIsStandIn = false
        let rows = standIn ? 0 : batch.size
        let sizes = try communicator.allGather([Int64(rows)]).map { $0[0] }
        let total = sizes.reduce(0, +)
        globalSamples += Int(total)
        let share = total > 0 ? Float(rows) / Float(total) : 0
        let tables = shardedTables(of: model)
        let shardedParameters = Set(tables.map { ObjectIdentifier($0.table) })
        let parameters = optimizer.namedParameters.map(\.parameter)
        let replicated = parameters.filter { !shardedParameters.contains(ObjectIdentifier($0)) }
        var logged: [Float] = []
        var names: [String] = []
        let objective = batch.size > 0 ? try model.objective(try model(batch), batch: batch) : nil
        // Each task's rows on every rank: a task that is a mean over a subset of the rows
        // (``Objective/Task/rows``) weighs each rank by its share of that subset.
        let taskRows = objective?.tasks.map { Int64(rows == 0 ? 0 : $0.rows ?? rows) } ?? []
        let everyTaskRows = try communicator.allGather(taskRows).filter { $0.count == taskRows.count }
        if let objective {
            // Task t's factor: this rank's part of its rows over the rank's share of the batch
            // (the exchange multiplies by the share): exactly 1 for a mean over every row.
            let factors = taskRows.indices.map { task -> Float in
                let global = everyTaskRows.reduce(Int64(0)) { $0 + $1[task] }
                return share > 0 && global > 0 ? Float(taskRows[task]) / Float(global) / share : 0
            }
            let terms = zip(objective.tasks, factors).filter { $1 != 0 }.map { task, factor in (task.weight * factor) * task.loss }
            let weighted = factors.allSatisfy { $0 == 1 } ? objective.total : terms.dropFirst().reduce(terms.first ?? Tensor(0), +)
            if !terms.isEmpty { weighted.backward() }
            if !standIn {
                var values = objective.loggedValues
                for (task, factor) in zip(objective.tasks, factors) where task.name != "loss" {
                    values["\(task.name)_loss"] = Double(task.loss.scalar * factor)
                }
                names = values.keys.sorted().filter { $0 != "loss" }
                logged = [Float(weighted.scalar)] + names.map { Float(values[$0]!) }
            }
        }
        if rows == 0 {
            for parameter in replicated {
                parameter.gradient = nil
                parameter.sparseGradient = nil
            }
        }
        let sent = try GradientExchange.sum(replicated, share: share, over: communicator)
        sentBytes = (sentBytes.dense + sent.dense, sentBytes.sparse + sent.sparse)
        if !tables.isEmpty {
            let pending = try communicator.allGather(tables.map { share > 0 && $0.shard.hasPendingGradient ? UInt8(1) : 0 })
            for (index, table) in tables.enumerated() {
                try table.shard.exchangeGradients(into: table.table, share: share, anyRank: pending.contains { $0[index] != 0 })
            }
        }
        if let clipNorm {
            if tables.isEmpty {
                optimizer.clipGradientNorm(clipNorm)
            } else {
                // The replicated gradients are the same everywhere; each shard's are its own.
                let shards = try communicator.allGather([Optimizer.squaredGradientNorm(of: tables.map(\.table))])
                let squares = shards.reduce(Optimizer.squaredGradientNorm(of: replicated)) { $0 + $1[0] }
                let norm = Float(squares.squareRoot())
                if norm > clipNorm { Optimizer.scaleGradients(of: parameters, by: clipNorm / norm) }
            }
        }
        optimizer.step()
        // The global loss and logs: every rank's values weighted by its share (an empty shard
        // sends none).
        let everyName = try communicator.allGather(Array(names.joined(separator: "\u{1F}").utf8))
        let everyValue = try communicator.allGather(logged)
        let reference = everyName.first { !$0.isEmpty }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let referenceNames = reference.isEmpty ? [] : reference.components(separatedBy: "\u{1F}")
        var sums = [Float](repeating: 0, count: referenceNames.count + 1)
        for (rank, values) in everyValue.enumerated() where values.count == sums.count {
            let weight = Float(sizes[rank]) / Float(max(total, 1))
            for index in sums.indices { sums[index] += weight * values[index] }
        }
        var logs: [String: Tensor] = [:]
        for (index, name) in referenceNames.enumerated() { logs[name] = Tensor(sums[index + 1]) }
        return Objective(Tensor(sums[0]), logs: logs)
    }
}
