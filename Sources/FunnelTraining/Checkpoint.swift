import Foundation
import FunnelData
import FunnelNN
import FunnelModels
import FunnelTensor

/// Where a run stands: what `state.json` of a checkpoint holds besides the tensors.
public struct RunState: Codable, Sendable, Equatable {
    public var configuration: TrainingConfiguration
    /// The epoch in progress and the next batch of it.
    public var epoch = 0
    public var nextBatch = 0
    /// Optimizer steps taken.
    public var step = 0
    public var curve: [CurvePoint] = []
    /// The best early-stopping metric so far and the evaluations since it improved.
    public var best: Double?
    public var evaluationsWithoutImprovement = 0
    public var finished = false

    public init(configuration: TrainingConfiguration) {
        self.configuration = configuration
    }
}

/// Checkpoints: a folder `step-N` with `model.safetensors` (the parameters, by their path names),
/// `optimizer.safetensors` (the optimizer groups' state, keyed by group and parameter name, and a
/// multi-task rule's under `multitask/`), `best-model.safetensors` when early stopping holds
/// best parameters, `state.json` (the run's configuration and position), and `checksums.json`
/// (the size and 64-bit ``Checksum`` of every other file, written last; every load verifies the
/// files it reads against it and refuses a damaged one, naming it).
///
/// A checkpoint is written under a temporary name (`step-N.tmp-PID`) and renamed when complete,
/// and the file `latest` (replaced atomically) names the newest; a run killed at any moment
/// leaves the previous checkpoint intact. ``CheckpointFolder`` locks a folder for one run and
/// removes the temporary folders of interrupted writes; ``newestValid(in:)`` is what a resumed
/// run continues from.
public enum Checkpoint {
    /// The file of the best validated parameters early stopping keeps.
    public static let bestParametersFile = "best-model.safetensors"
    /// The file of the other files' sizes and checksums.
    public static let checksumsFile = "checksums.json"
    /// The files every checkpoint holds (and records in `checksums.json`).
    static let requiredFiles = ["model.safetensors", "optimizer.safetensors", "state.json"]

    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// `checksums.json`: every file's size and checksum.
    struct Manifest: Codable {
        struct Entry: Codable {
            var bytes: Int
            var checksum: String
        }

        var algorithm = Manifest.algorithm
        var files: [String: Entry] = [:]
        static let algorithm = "funnel-checksum64"
    }

    /// Writes a checkpoint and points `latest` at it, then removes the older checkpoints but one:
    /// `previous` (the checkpoint the run last wrote or resumed from) when it is one of them,
    /// else the newest of them. Checkpoints newer than this one are left alone.
    /// - Returns: the checkpoint's folder.
    @discardableResult
    public static func write(
        directory: String, model: some FunnelModel, optimizer: OptimizerGroups, multiTaskUpdate: (any MultiTaskUpdate)? = nil,
        bestParameters: [String: [Float]]? = nil, state: RunState, keeping previous: String? = nil
    ) throws -> String {
        try write(
            directory: directory, model: model, optimizer: optimizer, multiTaskUpdate: multiTaskUpdate, bestParameters: bestParameters,
            state: state, keeping: previous, shards: nil)
    }

    /// ``write(directory:model:optimizer:multiTaskUpdate:bestParameters:state:keeping:)``, leaving
    /// out the tables `shards` names (their rows go to shard files): `shards.write` is called
    /// with the temporary folder once it exists and returns the shard files it had written
    /// there, which the checksums then cover.
    static func write(
        directory: String, model: some FunnelModel, optimizer: OptimizerGroups, multiTaskUpdate: (any MultiTaskUpdate)?,
        bestParameters: [String: [Float]]?, state: RunState, keeping previous: String?,
        shards: (tables: Set<String>, write: (String) throws -> [String: Manifest.Entry])?
    ) throws -> String {
        let excluded = shards?.tables ?? []
        if let (name, value) = firstNonFiniteParameter(of: model) {
            throw Error(description: "\(directory): not writing a checkpoint at step \(state.step): parameter '\(name)' holds \(value.isNaN ? "nan" : "\(value)")")
        }
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = String(format: "step-%09d", state.step)
        let temporary = directory + "/" + name + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try? manager.removeItem(atPath: temporary)
        do {
            try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            let shardFiles = try shards?.write(temporary) ?? [:]
            let metadata = ["format": "pt", "model": state.configuration.model.rawValue]
            if excluded.isEmpty {
                try model.saveParameters(to: temporary + "/model.safetensors", metadata: metadata)
            } else {
                let kept = model.namedState().filter { !excluded.contains($0.name) }.reduce(into: [String: SafeTensors.Entry]()) {
                    $0[$1.name] = SafeTensors.Entry(shape: $1.tensor.shape, values: .float32($1.tensor.scalars))
                }
                try SafeTensors.encode(kept, metadata: metadata).write(to: URL(fileURLWithPath: temporary + "/model.safetensors"))
            }
            var entries: [String: SafeTensors.Entry] = [:]
            let multiTaskState = multiTaskUpdate?.exportState() ?? OptimizerState()
            let optimizerState = ShardFiles.withoutRows(of: excluded, optimizer.exportState(), model: model)
            for (prefix, state) in [("", optimizerState), ("multitask/", multiTaskState)] {
                for (key, values) in state.floats { entries[prefix + key] = SafeTensors.Entry(shape: [values.count], values: .float32(values)) }
                for (key, values) in state.integers { entries[prefix + key] = SafeTensors.Entry(shape: [values.count], values: .int64(values)) }
            }
            try SafeTensors.encode(entries).write(to: URL(fileURLWithPath: temporary + "/optimizer.safetensors"))
            var files = requiredFiles
            if let bestParameters {
                let best = model.namedState().reduce(into: [String: SafeTensors.Entry]()) { entries, named in
                    if !excluded.contains(named.name), let values = bestParameters[named.name] { entries[named.name] = SafeTensors.Entry(shape: named.tensor.shape, values: .float32(values)) }
                }
                try SafeTensors.encode(best).write(to: URL(fileURLWithPath: temporary + "/" + bestParametersFile))
                files.append(bestParametersFile)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: URL(fileURLWithPath: temporary + "/state.json"))
            var manifest = Manifest()
            manifest.files = shardFiles
            // The checksums of the bytes on disk, written last.
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: temporary + "/" + file))
                manifest.files[file] = Manifest.Entry(bytes: data.count, checksum: hex(Checksum.of(data)))
            }
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: temporary + "/" + checksumsFile))
            // Flush the files before the rename makes them the checkpoint.
            for file in files + [checksumsFile] { synchronize(temporary + "/" + file) }
            synchronize(temporary)
        } catch let error as Error {
            try? manager.removeItem(atPath: temporary)
            throw error
        } catch {
            // A full disk or a read-only folder, said in plain words with the checkpoint named.
            try? manager.removeItem(atPath: temporary)
            let cause = (error as? SafeTensors.FormatError)?.cause ?? error
            throw FileWriteError(path: directory + "/" + name, reason: AtomicFile.plainReason(cause))
        }
        let final = directory + "/" + name
        try? manager.removeItem(atPath: final)
        try manager.moveItem(atPath: temporary, toPath: final)
        synchronize(directory)
        try AtomicFile.write(Data(name.utf8), to: directory + "/latest")
        let step = state.step
        let older = steps(in: directory).filter { $0.step < step }
        let kept = older.last { previous.map { URL(fileURLWithPath: $0).lastPathComponent } == $0.name } ?? older.last
        for stale in older where stale.name != kept?.name { try? manager.removeItem(atPath: directory + "/" + stale.name) }
        return final
    }

    /// The checkpoint `latest` names, when its folder exists (not verified: ``newestValid(in:)``
    /// is the checkpoint a run resumes from), or `nil`.
    public static func latest(in directory: String) -> String? {
        guard let name = try? String(contentsOfFile: directory + "/latest", encoding: .utf8) else { return nil }
        let path = directory + "/" + name.trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.fileExists(atPath: path + "/state.json") ? path : nil
    }

    /// The newest checkpoint of a folder whose files all match their checksums and whose state
    /// reads, and the newer ones skipped (with why).
    public struct Selection: Sendable {
        /// The checkpoint's folder, or `nil` when the folder holds no valid one.
        public var path: String?
        /// One line per checkpoint (or `latest`) passed over: its name and what is wrong.
        public var skipped: [String] = []
        /// Whether the folder holds anything a checkpoint leaves (a `step-` folder or `latest`).
        public var holdsCheckpoints = false
    }

    /// The newest valid checkpoint of a folder: the `step-N` folders newest first (whatever
    /// `latest` says, which may be missing or damaged), each verified.
    public static func newestValid(in directory: String) -> Selection {
        var selection = Selection()
        let candidates = steps(in: directory).reversed()
        let latestFile = directory + "/latest"
        let latestExists = FileManager.default.fileExists(atPath: latestFile)
        selection.holdsCheckpoints = !candidates.isEmpty || latestExists
        for candidate in candidates {
            let path = directory + "/" + candidate.name
            do {
                try verify(path)
                _ = try readState(path)
                selection.path = path
                break
            } catch {
                selection.skipped.append("\(candidate.name): \(error)")
            }
        }
        if let path = selection.path {
            let name = URL(fileURLWithPath: path).lastPathComponent
            let named = (try? String(contentsOfFile: latestFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if !latestExists {
                selection.skipped.append("latest: missing")
            } else if let named, named != name, !candidates.contains(where: { $0.name == named }) {
                selection.skipped.append("latest: names \(String(reflecting: String(named.prefix(80)))), which is not a checkpoint of \(directory)")
            } else if named == nil {
                selection.skipped.append("latest: not readable text")
            }
        }
        return selection
    }

    /// The `step-N` checkpoint folders of a directory (not temporary ones), oldest first.
    static func steps(in directory: String) -> [(name: String, step: Int)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (String, Int)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst("step-".count)) else { return nil }
            return (name, step)
        }.sorted { $0.1 < $1.1 }
    }

    /// Verifies every file of a checkpoint against its `checksums.json`.
    /// - Throws: ``Error`` naming the first file that is missing, of another size, or whose
    ///   checksum differs.
    public static func verify(_ path: String) throws {
        let manifest = try readManifest(path)
        var files = requiredFiles
        if manifest.files[bestParametersFile] != nil || FileManager.default.fileExists(atPath: path + "/" + bestParametersFile) {
            files.append(bestParametersFile)
        }
        // Sharded tables' files (``ShardFiles``): their layout and every rank's rows.
        files += manifest.files.keys.filter { $0.hasPrefix("shards") }.sorted()
        for file in files { _ = try verifiedContents(path, file, manifest: manifest) }
    }

    /// The bytes of one file of a checkpoint, verified against its `checksums.json`.
    public static func verifiedContents(_ path: String, _ file: String) throws -> Data {
        try verifiedContents(path, file, manifest: try readManifest(path))
    }

    static func verifiedContents(_ path: String, _ file: String, manifest: Manifest) throws -> Data {
        let location = path + "/" + file
        guard let entry = manifest.files[file] else {
            throw Error(description: "\(location): not recorded in \(checksumsFile), cannot be verified (the checkpoint is damaged)")
        }
        let data = try readFile(location)
        guard data.count == entry.bytes else {
            throw Error(description: "\(location): damaged: \(data.count) bytes where \(checksumsFile) recorded \(entry.bytes) (\(data.count < entry.bytes ? "truncated" : "extended"))")
        }
        let checksum = hex(Checksum.of(data))
        guard checksum == entry.checksum else {
            throw Error(description: "\(location): damaged: its checksum \(checksum) differs from the \(entry.checksum) \(checksumsFile) recorded")
        }
        return data
    }

    static func readManifest(_ path: String) throws -> Manifest {
        let location = path + "/" + checksumsFile
        guard FileManager.default.fileExists(atPath: location) else {
            throw Error(description: "\(location): missing, so the checkpoint's files cannot be verified (an incomplete checkpoint, or one written before checkpoints carried checksums)")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: try readFile(location))
        } catch let error as Error {
            throw error
        } catch {
            throw Error(description: "\(location): damaged: not the checksum list a checkpoint writes")
        }
        guard manifest.algorithm == Manifest.algorithm else {
            throw Error(description: "\(location): checksums of an unknown kind '\(manifest.algorithm)' (expected \(Manifest.algorithm))")
        }
        return manifest
    }

    /// The run state stored in a checkpoint (verified against its checksum).
    public static func readState(_ path: String) throws -> RunState {
        let data = try verifiedContents(path, "state.json")
        do {
            return try JSONDecoder().decode(RunState.self, from: data)
        } catch {
            throw Error(description: "\(path)/state.json: cannot be read: \(error)")
        }
    }

    /// Loads the parameters (and, when given, the optimizer and multi-task state) of a
    /// checkpoint; returns the best parameters early stopping kept, if any. Every file read is
    /// verified against the checkpoint's checksums first; nothing is loaded from a damaged one.
    /// Embedding tables split over ranks, in the checkpoint or in the model, are read by rows
    /// (``ShardedCheckpointReader``): a checkpoint resumes on any number of ranks.
    @discardableResult
    public static func load(
        _ path: String, into model: some FunnelModel, optimizer: OptimizerGroups? = nil, multiTaskUpdate: (any MultiTaskUpdate)? = nil
    ) throws -> [String: [Float]]? {
        let manifest = try readManifest(path)
        let modelFile = path + "/model.safetensors"
        let (modelEntries, _) = try SafeTensors.decode(try verifiedContents(path, "model.safetensors", manifest: manifest), file: modelFile)
        let stateFile = path + "/optimizer.safetensors"
        let stateEntries = optimizer == nil
            ? [:] : try SafeTensors.decode(try verifiedContents(path, "optimizer.safetensors", manifest: manifest), file: stateFile).entries
        let bestFile = path + "/" + bestParametersFile
        let bestEntries = optimizer != nil && (FileManager.default.fileExists(atPath: bestFile) || manifest.files[bestParametersFile] != nil)
            ? try SafeTensors.decode(try verifiedContents(path, bestParametersFile, manifest: manifest), file: bestFile).entries : nil
        var rows = try ShardedCheckpointReader(path: path, manifest: manifest, layout: try shardLayout(path, manifest: manifest), model: model)
        try rows.read(model: modelEntries, optimizer: stateEntries, best: bestEntries)

        var split: [String: [Float]] = [:]
        for (name, tensor) in model.namedState() where rows.targets[name] != nil {
            guard let values = rows.rows("model/" + name), values.count == tensor.count else {
                throw SafeTensors.ParameterError(file: modelFile, parameter: name, reason: "its rows are missing from the checkpoint")
            }
            split[name] = values
        }
        try model.loadState(modelEntries, file: modelFile, overriding: split)
        guard let optimizer else { return nil }
        var state = OptimizerState()
        var multiTaskState = OptimizerState()
        for (name, entry) in stateEntries {
            // A table read by rows takes its per-row state from the rows read.
            if let table = ShardFiles.parameter(ofKey: name), let target = rows.targets[table],
                ShardFiles.rowWidth(count: entry.values.count, rows: target.rows, dimensions: target.dimensions) != nil
            {
                continue
            }
            let isMultiTask = name.hasPrefix("multitask/")
            let key = isMultiTask ? String(name.dropFirst("multitask/".count)) : name
            switch entry.values {
            case .float32(let values):
                if isMultiTask { multiTaskState.floats[key] = values } else { state.floats[key] = values }
            case .int64(let values):
                if isMultiTask { multiTaskState.integers[key] = values } else { state.integers[key] = values }
            }
        }
        state.merge(rows.optimizerState, prefix: "")
        do {
            try optimizer.importState(state)
            try multiTaskUpdate?.importState(multiTaskState)
        } catch {
            throw Error(description: "\(stateFile): \(error)")
        }
        guard let bestEntries else { return nil }
        var best = bestEntries.compactMapValues { entry -> [Float]? in
            if case .float32(let values) = entry.values { return values }
            return nil
        }
        for name in rows.targets.keys { best[name] = rows.rows("best/" + name) }
        return best
    }

    /// Loads the parameters of a checkpoint, then the best ones early stopping kept (what a
    /// finished run that restored them ended with).
    public static func loadBest(_ path: String, into model: some FunnelModel) throws {
        let best = try load(path, into: model, optimizer: OptimizerGroups(groups: []))
        for (name, tensor) in model.namedState() {
            guard let values = best?[name], values.count == tensor.count else { continue }
            tensor.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: values) }
        }
    }

    /// The first parameter holding NaN or an infinity, with that value.
    static func firstNonFiniteParameter(of model: some FunnelModel) -> (name: String, value: Float)? {
        for (name, parameter) in model.namedParameters() {
            if let value = parameter.withUnsafeBufferPointer({ $0.first { !$0.isFinite } }) { return (name, value) }
        }
        return nil
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Flushes a file or folder to disk (best effort).
    private static func synchronize(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func readFile(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Error(description: "\(path): cannot be read: \(error.localizedDescription)")
        }
    }
}
