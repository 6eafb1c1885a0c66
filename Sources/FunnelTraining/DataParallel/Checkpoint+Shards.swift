import Foundation
import FunnelData
import FunnelDistributed
import FunnelModels
import FunnelNN
import FunnelTensor

extension Checkpoint {
    /// Writes a checkpoint of a run whose embedding tables are split over the ranks; every rank
    /// calls it. Rank 0 makes the temporary folder and names it to the others, every rank writes
    /// its shard file there (``ShardFiles``), rank 0 gathers their checksums, writes the other
    /// files, `shards.json` and the checksums, renames the folder and tells the others the
    /// outcome. A rank that fails makes every rank throw, and nothing is renamed into place.
    /// - Returns: the checkpoint's folder.
    static func writeSharded(
        directory: String, model: some FunnelModel, optimizer: OptimizerGroups, tables: [ShardedTable],
        bestParameters: [String: [Float]]?, state: RunState, keeping previous: String?, communicator: Communicator
    ) throws -> String {
        let names = Set(tables.map(\.name))
        let writeOwn = { (folder: String) -> [UInt8] in
            do {
                let (file, entry) = try ShardFiles.writeShard(
                    into: folder, rank: communicator.rank, ranks: communicator.size, tables: tables,
                    optimizer: optimizer.exportState(), best: bestParameters)
                return Array("\(file)\t\(entry.bytes)\t\(entry.checksum)".utf8)
            } catch {
                return Array("!\(error)".utf8)
            }
        }
        guard communicator.isLead else {
            let folder = String(decoding: try communicator.broadcast([UInt8](), from: 0), as: UTF8.self)
            guard !folder.isEmpty else { throw Error(description: "\(directory): rank 0 could not start the checkpoint of step \(state.step)") }
            _ = try communicator.allGather(writeOwn(folder))
            let outcome = String(decoding: try communicator.broadcast([UInt8](), from: 0), as: UTF8.self)
            guard outcome.hasPrefix("written\t") else { throw Error(description: outcome) }
            return String(outcome.dropFirst("written\t".count))
        }
        var started = false
        do {
            let path = try write(
                directory: directory, model: model, optimizer: optimizer, multiTaskUpdate: nil, bestParameters: bestParameters, state: state,
                keeping: previous,
                shards: (names, { folder in
                    _ = try communicator.broadcast(Array(folder.utf8), from: 0)
                    started = true
                    var files: [String: Manifest.Entry] = [:]
                    for line in try communicator.allGather(writeOwn(folder)).map({ String(decoding: $0, as: UTF8.self) }) {
                        guard !line.hasPrefix("!") else { throw Error(description: String(line.dropFirst())) }
                        let fields = line.split(separator: "\t").map(String.init)
                        files[fields[0]] = Manifest.Entry(bytes: Int(fields[1]) ?? -1, checksum: fields[2])
                    }
                    let layout = ShardFiles.Layout(
                        ranks: communicator.size,
                        tables: tables.map { .init(name: $0.name, rows: $0.shard.totalRows, dimensions: $0.shard.dimensions) })
                    let data = try JSONEncoder().encode(layout)
                    try data.write(to: URL(fileURLWithPath: folder + "/" + ShardFiles.layoutFile))
                    files[ShardFiles.layoutFile] = Manifest.Entry(bytes: data.count, checksum: hex(Checksum.of(data)))
                    return files
                }))
            _ = try communicator.broadcast(Array("written\t\(path)".utf8), from: 0)
            return path
        } catch {
            // The others wait for the folder's name, or for the outcome.
            _ = try communicator.broadcast(Array((started ? "rank 0: \(error)" : "").utf8), from: 0)
            throw error
        }
    }

    /// The tables a checkpoint holds split over ranks (`shards.json`), verified; `nil` for a
    /// checkpoint whose tables are whole.
    static func shardLayout(_ path: String, manifest: Manifest) throws -> ShardFiles.Layout? {
        guard manifest.files[ShardFiles.layoutFile] != nil else { return nil }
        let data = try verifiedContents(path, ShardFiles.layoutFile, manifest: manifest)
        do {
            return try JSONDecoder().decode(ShardFiles.Layout.self, from: data)
        } catch {
            throw Error(description: "\(path)/\(ShardFiles.layoutFile): not the layout of sharded tables: \(error)")
        }
    }
}
