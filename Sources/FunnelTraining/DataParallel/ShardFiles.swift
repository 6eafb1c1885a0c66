import Foundation
import FunnelData
import FunnelDistributed
import FunnelModels
import FunnelNN
import FunnelTensor

/// The checkpoint files of embedding tables split over the ranks: each rank writes its rows
/// (values, optimizer state, best values) as `shards/rank-R-of-N.safetensors` into the
/// checkpoint's temporary folder, rank 0 writes `shards.json` (the ranks and the tables) and
/// the checksums of every file, then renames the folder into place: a checkpoint exists whole
/// or not at all, as a single process's does. The folder must be one every rank can reach (a
/// shared file system across machines).
///
/// Keys in a shard file: `model/<table>`, `best/<table>` (`[rows, dimensions]`) and
/// `optimizer/<group>/<entry>.<table>` (`[rows, width]`: moments are as wide as the table,
/// per-row counters one wide), rows being the rank's local rows in order.
enum ShardFiles {
    /// `shards.json`.
    struct Layout: Codable, Equatable {
        struct Table: Codable, Equatable {
            var name: String
            var rows: Int
            var dimensions: Int
        }

        var ranks: Int
        var tables: [Table]
    }

    static let layoutFile = "shards.json"

    static func file(rank: Int, ranks: Int) -> String {
        String(format: "shards/rank-%05d-of-%05d.safetensors", rank, ranks)
    }

    /// The table an optimizer state key (`<group>/<entry>.<parameter>`) belongs to.
    static func parameter(ofKey key: String) -> String? {
        let afterGroup = key.split(separator: "/", maxSplits: 1).last ?? ""
        guard let dot = afterGroup.firstIndex(of: ".") else { return nil }
        return String(afterGroup[afterGroup.index(after: dot)...])
    }

    /// The width of a per-row state entry of `count` values for a table of `rows × dimensions`,
    /// or `nil` for another entry (a step counter). Sharded tables hold at least two rows per
    /// rank, so a single counter never reads as a row.
    static func rowWidth(count: Int, rows: Int, dimensions: Int) -> Int? {
        guard rows >= 2 else { return nil }
        return count == rows * dimensions ? dimensions : count == rows ? 1 : nil
    }

    /// `state` without the per-row entries of `tables` (their rows go to the shard files).
    static func withoutRows(of tables: Set<String>, _ state: OptimizerState, model: some FunnelModel) -> OptimizerState {
        guard !tables.isEmpty else { return state }
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters().filter { tables.contains($0.name) }.map { ($0.name, $0.parameter.shape) })
        func isRow(_ key: String, _ count: Int) -> Bool {
            guard let name = parameter(ofKey: key), let shape = shapes[name] else { return false }
            return rowWidth(count: count, rows: shape[0], dimensions: shape[1]) != nil
        }
        return OptimizerState(
            floats: state.floats.filter { !isRow($0.key, $0.value.count) },
            integers: state.integers.filter { !isRow($0.key, $0.value.count) })
    }

    /// This rank's shard file: its rows of every table of `tables`, their optimizer state and
    /// best values, under `folder`. Returns the file's name and checksum entry.
    static func writeShard(
        into folder: String, rank: Int, ranks: Int, tables: [ShardedTable], optimizer: OptimizerState, best: [String: [Float]]?
    ) throws -> (file: String, entry: Checkpoint.Manifest.Entry) {
        var entries: [String: SafeTensors.Entry] = [:]
        let byName = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        for table in tables {
            if let (name, value) = table.table.withUnsafeBufferPointer({ values in values.first { !$0.isFinite }.map { (table.name, $0) } }) {
                throw Checkpoint.Error(description: "rank \(rank): not writing a checkpoint: parameter '\(name)' holds \(value.isNaN ? "nan" : "\(value)")")
            }
            entries["model/" + table.name] = SafeTensors.Entry(shape: table.table.shape, values: .float32(table.table.scalars))
            if let values = best?[table.name] { entries["best/" + table.name] = SafeTensors.Entry(shape: table.table.shape, values: .float32(values)) }
        }
        func rowShape(_ key: String, _ count: Int) -> [Int]? {
            guard let name = parameter(ofKey: key), let table = byName[name] else { return nil }
            let (rows, dimensions) = (table.table.shape[0], table.table.shape[1])
            return rowWidth(count: count, rows: rows, dimensions: dimensions).map { [rows, $0] }
        }
        for (key, values) in optimizer.floats {
            if let shape = rowShape(key, values.count) { entries["optimizer/" + key] = SafeTensors.Entry(shape: shape, values: .float32(values)) }
        }
        for (key, values) in optimizer.integers {
            if let shape = rowShape(key, values.count) { entries["optimizer/" + key] = SafeTensors.Entry(shape: shape, values: .int64(values)) }
        }
        let name = file(rank: rank, ranks: ranks)
        let data = try SafeTensors.encode(entries, metadata: ["rank": "\(rank)", "ranks": "\(ranks)"])
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            close(descriptor)
        }
        return (name, Checkpoint.Manifest.Entry(bytes: data.count, checksum: Checkpoint.hex(Checksum.of(data))))
    }
}
