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
/// best parameters, and `state.json` (the run's configuration and position). A checkpoint is written under a temporary name and renamed when complete, and the
/// file `latest` (replaced atomically) names the newest; a run killed at any moment leaves the
/// previous checkpoint intact.
public enum Checkpoint {
    /// The file of the best validated parameters early stopping keeps.
    public static let bestParametersFile = "best-model.safetensors"

    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes a checkpoint and points `latest` at it; keeps the two newest.
    public static func write(
        directory: String, model: some FunnelModel, optimizer: OptimizerGroups, multiTaskUpdate: (any MultiTaskUpdate)? = nil,
        bestParameters: [String: [Float]]? = nil, state: RunState
    ) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = String(format: "step-%09d", state.step)
        let temporary = directory + "/" + name + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try? manager.removeItem(atPath: temporary)
        try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try model.saveParameters(
            to: temporary + "/model.safetensors", metadata: ["format": "pt", "model": state.configuration.model.rawValue])
        var entries: [String: SafeTensors.Entry] = [:]
        let multiTaskState = multiTaskUpdate?.exportState() ?? OptimizerState()
        for (prefix, state) in [("", optimizer.exportState()), ("multitask/", multiTaskState)] {
            for (key, values) in state.floats { entries[prefix + key] = SafeTensors.Entry(shape: [values.count], values: .float32(values)) }
            for (key, values) in state.integers { entries[prefix + key] = SafeTensors.Entry(shape: [values.count], values: .int64(values)) }
        }
        try SafeTensors.encode(entries).write(to: URL(fileURLWithPath: temporary + "/optimizer.safetensors"))
        var files = ["model.safetensors", "optimizer.safetensors", "state.json"]
        if let bestParameters {
            let best = model.namedParameters().reduce(into: [String: SafeTensors.Entry]()) { entries, named in
                if let values = bestParameters[named.name] { entries[named.name] = SafeTensors.Entry(shape: named.parameter.shape, values: .float32(values)) }
            }
            try SafeTensors.encode(best).write(to: URL(fileURLWithPath: temporary + "/" + bestParametersFile))
            files.append(bestParametersFile)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: temporary + "/state.json"))
        // Flush the files before the rename makes them the checkpoint.
        for file in files {
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

    /// Loads the parameters (and, when given, the optimizer and multi-task state) of a
    /// checkpoint; returns the best parameters early stopping kept, if any.
    @discardableResult
    public static func load(
        _ path: String, into model: some FunnelModel, optimizer: OptimizerGroups? = nil, multiTaskUpdate: (any MultiTaskUpdate)? = nil
    ) throws -> [String: [Float]]? {
        try model.loadParameters(from: path + "/model.safetensors")
        guard let optimizer else { return nil }
        let stateFile = path + "/optimizer.safetensors"
        let (stateEntries, _) = try SafeTensors.decode(try readFile(stateFile), file: stateFile)
        var state = OptimizerState()
        var multiTaskState = OptimizerState()
        for (name, entry) in stateEntries {
            let isMultiTask = name.hasPrefix("multitask/")
            let key = isMultiTask ? String(name.dropFirst("multitask/".count)) : name
            switch entry.values {
            case .float32(let values):
                if isMultiTask { multiTaskState.floats[key] = values } else { state.floats[key] = values }
            case .int64(let values):
                if isMultiTask { multiTaskState.integers[key] = values } else { state.integers[key] = values }
            }
        }
        do {
            try optimizer.importState(state)
            try multiTaskUpdate?.importState(multiTaskState)
        } catch {
            throw Error(description: "\(stateFile): \(error)")
        }
        let bestFile = path + "/" + bestParametersFile
        guard FileManager.default.fileExists(atPath: bestFile) else { return nil }
        let (best, _) = try SafeTensors.decode(try readFile(bestFile), file: bestFile)
        return best.compactMapValues { entry in
            if case .float32(let values) = entry.values { return values }
            return nil
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
