import Foundation
import FunnelModels
import FunnelNN
import FunnelTensor

/// Reads a checkpoint into a model when embedding tables are split over ranks on either side:
/// a checkpoint of N ranks' shard files (``ShardFiles``) into a model of N′ ranks' shards or of
/// whole tables, or a checkpoint of whole tables into a sharded model. Row `g` of a table is
/// local row `g / N` of rank `g mod N`'s file; each file is read once, one at a time, and gives
/// this rank the rows it holds — values, optimizer state and best values alike.
struct ShardedCheckpointReader {
    /// Where a table's rows go in this process: rank `rank` of `ranks` holds `local` of its `rows`.
    struct Target {
        var rank: Int
        var ranks: Int
        var rows: Int
        var dimensions: Int
        var local: Int { EmbeddingShard.localRows(total: rows, rank: rank, ranks: ranks) }
    }

    let path: String
    let manifest: Checkpoint.Manifest
    let layout: ShardFiles.Layout?
    /// Every table read by rows, by parameter name: the checkpoint's sharded tables and the model's.
    private(set) var targets: [String: Target] = [:]
    /// What was read, by `model/`, `best/` or `optimizer/` key, this process's rows.
    private var floats: [String: [Float]] = [:]
    private var integers: [String: [Int64]] = [:]

    init(path: String, manifest: Checkpoint.Manifest, layout: ShardFiles.Layout?, model: some FunnelModel) throws {
        self.path = path
        self.manifest = manifest
        self.layout = layout
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter.shape) })
        for table in ShardedTable.all(in: model) {
            targets[table.name] = Target(rank: table.shard.rank, ranks: table.shard.ranks, rows: table.shard.totalRows, dimensions: table.shard.dimensions)
        }
        for table in layout?.tables ?? [] where targets[table.name] == nil {
            guard let shape = shapes[table.name] else {
                throw Checkpoint.Error(description: "\(path)/\(ShardFiles.layoutFile): table '\(table.name)' is not a parameter of the model")
            }
            guard shape == [table.rows, table.dimensions] else {
                throw Checkpoint.Error(
                    description: "\(path)/\(ShardFiles.layoutFile): table '\(table.name)' is \(table.rows) × \(table.dimensions), the model's \(shape)")
            }
            targets[table.name] = Target(rank: 0, ranks: 1, rows: table.rows, dimensions: table.dimensions)
        }
    }

    /// Reads the rows of every shard file, and of the whole tables in `model`, `optimizer` and
    /// `best` (the checkpoint's main files) that the model shards.
    mutating func read(
        model: [String: SafeTensors.Entry], optimizer: [String: SafeTensors.Entry], best: [String: SafeTensors.Entry]?
    ) throws {
        let sharded = Set(layout?.tables.map(\.name) ?? [])
        for (name, target) in targets where !sharded.contains(name) {
            // A whole table of the checkpoint, split here.
            var whole: [(String, SafeTensors.Entry)] = []
            if let entry = model[name] { whole.append(("model/" + name, entry)) }
            if let entry = best?[name] { whole.append(("best/" + name, entry)) }
            for (key, entry) in optimizer where ShardFiles.parameter(ofKey: key) == name {
                if let width = ShardFiles.rowWidth(count: entry.values.count, rows: target.rows, dimensions: target.dimensions) {
                    whole.append(("optimizer/" + key, SafeTensors.Entry(shape: [target.rows, width], values: entry.values)))
                }
            }
            for (key, entry) in whole { try take(key, table: name, entry, part: 0, of: 1) }
        }
        guard let layout else { return }
        for rank in 0..<layout.ranks {
            let file = ShardFiles.file(rank: rank, ranks: layout.ranks)
            let (entries, _) = try SafeTensors.decode(try Checkpoint.verifiedContents(path, file, manifest: manifest), file: path + "/" + file)
            for (key, entry) in entries {
                let name = key.hasPrefix("optimizer/") ? ShardFiles.parameter(ofKey: String(key.dropFirst("optimizer/".count))) : key.split(separator: "/", maxSplits: 1).last.map(String.init)
                guard let name, sharded.contains(name) else { continue }
                try take(key, table: name, entry, part: rank, of: layout.ranks)
            }
        }
    }

    /// Copies the rows of `entry` (`[rows of part, width]`, part `part` of `parts`) that this
    /// process holds into the values of `key`.
    private mutating func take(_ key: String, table: String, _ entry: SafeTensors.Entry, part: Int, of parts: Int) throws {
        let target = targets[table]!
        guard entry.shape.count == 2, entry.shape[0] == EmbeddingShard.localRows(total: target.rows, rank: part, ranks: parts) else {
            throw Checkpoint.Error(description: "\(path): '\(key)' of part \(part) of \(parts) has shape \(entry.shape), not the table's rows")
        }
        let width = entry.shape[1]
        func copy<Value>(_ source: [Value], into values: inout [Value]) {
            for local in 0..<target.local {
                let row = local * target.ranks + target.rank
                guard row % parts == part else { continue }
                let from = row / parts * width
                for column in 0..<width { values[local * width + column] = source[from + column] }
            }
        }
        switch entry.values {
        case .float32(let source):
            var values = floats[key] ?? [Float](repeating: 0, count: target.local * width)
            copy(source, into: &values)
            floats[key] = values
        case .int64(let source):
            var values = integers[key] ?? [Int64](repeating: 0, count: target.local * width)
            copy(source, into: &values)
            integers[key] = values
        }
    }

    /// This process's rows of a table (`model/…`) or of its best values (`best/…`).
    func rows(_ key: String) -> [Float]? { floats[key] }

    /// The optimizer state entries read by rows, keyed as the optimizer exports them.
    var optimizerState: OptimizerState {
        func strip<Value>(_ entries: [String: Value]) -> [String: Value] {
            Dictionary(uniqueKeysWithValues: entries.compactMap { key, value in
                key.hasPrefix("optimizer/") ? (String(key.dropFirst("optimizer/".count)), value) : nil
            })
        }
        return OptimizerState(floats: strip(floats), integers: strip(integers))
    }
}
