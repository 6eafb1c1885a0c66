import Foundation
import FunnelData
import FunnelDistributed
import FunnelModels
import FunnelNN

/// A model restored from a checkpoint for evaluation, prediction or serving — no trainer, no
/// optimizer: the checkpoint's configuration rebuilds the model over its dataset and the
/// parameters are read from `model.safetensors` — or, for a finished run whose early stopping
/// restored its best validated parameters, from `best-model.safetensors`: the parameters the
/// run's final evaluation scored.
public struct TrainedModel {
    public let model: any FunnelModel
    public let dataset: Dataset
    /// The training configuration the checkpoint was written with.
    public let configuration: TrainingConfiguration
    /// The checkpoint folder read.
    public let checkpoint: String
    /// The training step the checkpoint was written at.
    public let step: Int

    /// Loads a checkpoint folder, or the newest checkpoint of a checkpoint directory; every file
    /// read is verified against the checkpoint's checksums (a damaged one is refused, named).
    /// - Parameter data: a dataset folder to use instead of the one the run trained on.
    public static func load(checkpoint: String, data: String? = nil) throws -> TrainedModel {
        let path = Checkpoint.latest(in: checkpoint) ?? checkpoint
        try Checkpoint.verify(path)
        let state = try Checkpoint.readState(path)
        let configuration = state.configuration
        let dataset = try Dataset.load(data ?? resolveData(configuration.data, checkpoint: path))
        let model = try configuration.model.make(
            dataset: dataset, configuration: configuration.modelConfiguration?.data, seed: configuration.seed)
        // A finished run that restored its best validated parameters ended with those.
        let best = path + "/" + Checkpoint.bestParametersFile
        if state.finished, configuration.earlyStopping?.restoreBest ?? false, FileManager.default.fileExists(atPath: best) {
            try Checkpoint.loadBest(path, into: model)
        } else {
            try Checkpoint.load(path, into: model)
        }
        return TrainedModel(model: model, dataset: dataset, configuration: configuration, checkpoint: path, step: state.step)
    }

    /// The dataset folder a checkpoint's configuration names. Runs store it absolute (see
    /// ``absolutePath(_:)``); a relative one, written by older runs, is tried against the
    /// current folder and then against each folder above the checkpoint (its checkpoint
    /// directory's parent, and so on), and the first that holds a `schema.json` is taken.
    static func resolveData(_ data: String, checkpoint: String) throws -> String {
        if data.hasPrefix("/") { return data }
        var candidates = [absolutePath(data)]
        var folder = URL(fileURLWithPath: absolutePath(checkpoint)).deletingLastPathComponent()
        while true {
            candidates.append(folder.appendingPathComponent(data).standardizedFileURL.path)
            if folder.path == "/" || folder.path.isEmpty { break }
            folder.deleteLastPathComponent()
        }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/schema.json") }) {
            return found
        }
        throw Checkpoint.Error(
            description: "\(checkpoint): the run's dataset folder '\(data)' is relative and holds no schema.json "
                + "in the current folder nor in a folder above the checkpoint; pass --data DIR")
    }

    /// `path` made absolute against the current folder (`.` and `..` removed).
    static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Evaluates a split (default: the run's evaluation split); with a communicator, the ranks
    /// share the forward passes.
    public func evaluate(split: String? = nil, communicator: Communicator? = nil) throws -> Evaluation {
        try Evaluator.evaluate(
            model: model, dataset: dataset, split: split ?? configuration.evaluationSplit, groupColumn: configuration.groupColumn,
            truthColumn: configuration.truthColumn, communicator: communicator)
    }
}
