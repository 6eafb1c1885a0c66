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
/// `optimizer.safetensors` (the optimizer's state) and `state.json` (the run's configuration and
/// position). A checkpoint is written under a temporary name and renamed when complete, and the
/// file `latest` (replaced atomically) names the newest; a run killed at any moment leaves the
/// previous checkpoint intact.
public enum Checkpoint {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes a checkpoint and points `latest` at it; keeps the two newest.
    public static func write(directory: String, model: some FunnelModel, optimizer: OptimizerGroups, state: RunState) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = String(format: "step-%09d", state.step)
        let temporary = directory + "/" + name + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try? manager.removeItem(atPath: temporary)
        try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try model.saveParameters(
            to: temporary + "/model.safetensors", metadata: ["format": "pt", "model": state.configuration.model.rawValue])
        let optimizerState = optimizer.exportState()
        var entries: [String: SafeTensors.Entry] = [:]
        for (key, values) in optimizerState.floats { entries[key] = SafeTensors.Entry(shape: [values.count], values: .float32(values)) }
        for (key, values) in optimizerState.integers { entries[key] = SafeTensors.Entry(shape: [values.count], values: .int64(values)) }
        try SafeTensors.encode(entries).write(to: URL(fileURLWithPath: temporary + "/optimizer.safetensors"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: temporary + "/state.json"))
        // Flush the files before the rename makes them the checkpoint.
        for file in ["model.safetensors", "optimizer.safetensors", "state.json"] {
            if let handle = FileHandle(forUpdatingAtPath: temporary + "/" + file) {
                try? handle.synchronize()
                try? handle.close()
            }
        }
        let final = directory + "/" + name
        try? manager.removeItem(atPath: final)
        try manager.moveItem(atPath: temporary, toPath: final)
        try AtomicFile.write(Data(name.utf8), to: directory + "/latest")
        let older = (try? manager.contentsOfDirectory(atPath: directory))?.filter { $0.hasPrefix("step-") && !$0.contains(".tmp") && $0 < name }.sorted() ?? []
        for stale in older.dropLast(1) { try? manager.removeItem(atPath: directory + "/" + stale) }
    }

    /// The newest complete checkpoint of a directory, or `nil` when there is none.
    public static func latest(in directory: String) -> String? {
        guard let name = try? String(contentsOfFile: directory + "/latest", encoding: .utf8) else { return nil }
        let path = directory + "/" + name.trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.fileExists(atPath: path + "/state.json") ? path : nil
    }

    /// The run state stored in a checkpoint.
    public static func readState(_ path: String) throws -> RunState {
        do {
            return try JSONDecoder().decode(RunState.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/state.json")))
        } catch {
            throw Error(description: "\(path)/state.json: cannot be read: \(error)")
        }
    }

    /// Loads the parameters (and, when given, the optimizer state) of a checkpoint.
    public static func load(_ path: String, into model: some FunnelModel, optimizer: OptimizerGroups? = nil) throws {
        try model.loadParameters(from: path + "/model.safetensors")
        guard let optimizer else { return }
        let stateFile = path + "/optimizer.safetensors"
        let (stateEntries, _) = try SafeTensors.decode(try readFile(stateFile), file: stateFile)
        var state = OptimizerState()
        for (name, entry) in stateEntries {
            switch entry.values {
            case .float32(let values): state.floats[name] = values
            case .int64(let values): state.integers[name] = values
            }
        }
        do {
            try optimizer.importState(state)
        } catch {
            throw Error(description: "\(stateFile): \(error)")
        }
    }

    private static func readFile(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Error(description: "\(path): cannot be read: \(error.localizedDescription)")
        }
    }
}
