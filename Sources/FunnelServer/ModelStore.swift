import Foundation
import FunnelTraining

/// The model a scoring server answers with, and its hot reload: the checkpoint directory's
/// `latest` file is read every ``interval``; when it names another checkpoint, that checkpoint
/// is loaded (and verified against its checksums) in the background and swapped in atomically.
/// A request holds the model it started with, so in-flight requests finish on the old one; a
/// checkpoint that fails to load is reported once and the old model keeps serving until
/// `latest` names another.
final class ModelStore: @unchecked Sendable {
    /// A loaded checkpoint, ready to score.
    final class Model: @unchecked Sendable {
        let scorer: RowScorer
        /// The checkpoint's folder name (`step-120`).
        let name: String
        var step: Int { scorer.trained.step }

        init(scorer: RowScorer, name: String) {
            self.scorer = scorer
            self.name = name
        }
    }

    /// The checkpoint directory (holding `latest`), or one checkpoint folder (no reload).
    let directory: String
    let interval: Duration
    private let lock = NSLock()
    private var current: Model
    private var refused: String?
    private var watcher: Task<Void, Never>?
    /// The reload under way: the watcher and ``reloadIfChanged()``'s other callers take turns,
    /// so that one checkpoint is never loaded (or refused) twice at once.
    private var reloading: Task<Void, Never>?
    /// Called after each reload attempt: the checkpoint name, and its step or why it failed.
    private let report: @Sendable (String, Result<Int, any Error>) -> Void

    /// Loads the checkpoint `latest` names (or the folder itself).
    /// - Throws: the first load's error: a server never starts without a model.
    init(
        directory: String, interval: Duration = .seconds(1), report: @escaping @Sendable (String, Result<Int, any Error>) -> Void
    ) throws {
        self.directory = directory
        self.interval = interval
        self.report = report
        let name = Self.latestName(in: directory)
        current = try Self.load(directory: directory, name: name)
    }

    /// The serving model.
    var model: Model {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Starts polling `latest` (on the server's executor; loads run on a worker thread).
    func startWatching() {
        lock.lock()
        defer { lock.unlock() }
        guard watcher == nil, FileManager.default.fileExists(atPath: directory + "/latest") else { return }
        watcher = Task(executorPreference: ServerExecutor.shared) { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: self?.interval ?? .seconds(1))
                guard let self, !Task.isCancelled else { return }
                await self.reloadIfChanged()
            }
        }
    }

    func stopWatching() {
        lock.lock()
        let task = watcher
        watcher = nil
        lock.unlock()
        task?.cancel()
    }

    /// Loads and swaps in the checkpoint `latest` names when it is neither serving nor refused;
    /// a caller that finds a reload under way waits for it and then looks again.
    func reloadIfChanged() async {
        while true {
            let (own, running): (Task<Void, Never>?, Task<Void, Never>?) = lock.withLock {
                if let reloading { return (nil, reloading) }
                let task = Task { await self.reloadOnce() }
                reloading = task
                return (task, nil)
            }
            if let running {
                await running.value
                continue
            }
            await own?.value
            lock.withLock { reloading = nil }
            return
        }
    }

    private func reloadOnce() async {
        guard let name = Self.latestName(in: directory) else { return }
        let (serving, refused) = lock.withLock { (current.name, self.refused) }
        guard name != serving, name != refused else { return }
        let directory = self.directory
        let outcome: Result<Model, any Error> = await withCheckedContinuation { continuation in
            // A thread of its own: Linux's global dispatch queues share the cooperative pool's
            // threads, and a process computing on that pool would hold the load back for as long.
            Thread.detachNewThread {
                continuation.resume(returning: Result { try Self.load(directory: directory, name: name) })
            }
        }
        switch outcome {
        case .success(let model):
            lock.withLock {
                current = model
                self.refused = nil
            }
            report(name, .success(model.step))
        case .failure(let error):
            lock.withLock { self.refused = name }
            report(name, .failure(error))
        }
    }

    /// The trimmed content of `directory/latest`, `nil` without one.
    static func latestName(in directory: String) -> String? {
        (try? String(contentsOfFile: directory + "/latest", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func load(directory: String, name: String?) throws -> Model {
        let path = name.map { directory + "/" + $0 } ?? directory
        let scorer = try RowScorer(try TrainedModel.load(checkpoint: path))
        return Model(scorer: scorer, name: name ?? URL(fileURLWithPath: directory).lastPathComponent)
    }
}
