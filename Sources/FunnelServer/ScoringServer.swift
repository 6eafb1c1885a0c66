import Foundation
import FunnelData
import FunnelTensor
import FunnelTraining
import Hummingbird

/// `funnel serve`: scores requests with the model of a checkpoint directory over HTTP/JSON.
///
/// Routes:
/// - `POST /v1/score`: `{"rows": [{column: value}]}` (raw values as in the dataset's files; see
///   ``ScoringRequest``) → `{"model", "checkpoint", "step", "scores": [{name: score}], "protocol":
///   {name: description}}`, one score per output per row (``RowScorer``);
/// - `POST /v1/rank` (models whose first task ranks a catalogue): `{"history", "k"?, "exclude"?,
///   "row"?}` → `{"model", "checkpoint", "step", "items": [{"item", "score"}]}`;
/// - `GET /healthz` (the process answers), `GET /readyz` (a model is loaded; it always is once
///   started), `GET /metrics` (Prometheus text, ``ServingMetrics``).
///
/// Refusals are JSON `{"error": {"message", "type"}}`: 400 for bad JSON or a bad field (the
/// message names its path, `rows[3].user_id`), 413 past ``ServingLimits/maximumBodyBytes`` or
/// ``ServingLimits/maximumRows``, 503 when the queue is full or a request waited past
/// ``ServingLimits/timeout``. A request never reads or writes a file: the only files read are
/// the checkpoint directory's, by hot reload (``ModelStore``).
public final class ScoringServer: Sendable {
    public let limits: ServingLimits
    let store: ModelStore
    let queue: ScoringQueue
    let metrics = ServingMetrics()
    private let host: ServerHost

    /// Loads the checkpoint `latest` names in `checkpoint` (or the checkpoint folder itself).
    /// - Parameter log: receives one line per reload (or reload failure).
    /// - Throws: the checkpoint's load error.
    public init(
        checkpoint: String, host: String = "127.0.0.1", port: Int = 8080, limits: ServingLimits = ServingLimits(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        self.limits = limits
        let metrics = self.metrics
        store = try ModelStore(directory: checkpoint, interval: limits.reloadInterval) { name, outcome in
            switch outcome {
            case .success(let step):
                metrics.recordModel(step: step, reloaded: true)
                log("funnel serve: now serving \(name) (step \(step))")
            case .failure(let error):
                metrics.recordError("reload_failed")
                log("funnel serve: \(name) failed to load, still serving the previous model: \(error)")
            }
        }
        queue = ScoringQueue(
            maximumBatchRows: limits.maximumBatchRows, maximumDelay: limits.batchDelay, maximumQueuedRows: limits.maximumQueuedRows,
            threads: limits.threads, metrics: metrics)
        self.host = ServerHost(host: host, port: port)
        metrics.recordModel(step: store.model.step, reloaded: false)
    }

    /// The serving model's checkpoint name and step.
    public var serving: (checkpoint: String, step: Int) {
        let model = store.model
        return (model.name, model.step)
    }

    /// The bound port once started.
    public var port: Int? { host.port }
    /// `http://<host>:<port>` once started.
    public var url: URL? { host.url }

    /// Binds, starts serving and watching the checkpoint directory; returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        let port = try await host.start(makeRouter(), serverName: "funnel")
        store.startWatching()
        return port
    }

    /// Stops serving and watching.
    public func stop() async {
        store.stopWatching()
        await host.stop()
    }

    /// Serves until the calling task is cancelled.
    public func run() async throws {
        if port == nil { try await start() }
        await host.wait()
        store.stopWatching()
    }

    /// Reads `latest` now and swaps in the checkpoint it names if it is new (what the watcher
    /// does every ``ServingLimits/reloadInterval``).
    public func reloadNow() async {
        await store.reloadIfChanged()
    }

    // MARK: Routes

    private func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in
            var text = JSONText()
            text.beginObject()
            text.key("status")
            text.string("ok")
            text.endObject()
            return Self.response(text, status: .ok)
        }
        router.get("/readyz") { _, _ in
            let model = self.store.model
            var text = JSONText()
            text.beginObject()
            text.key("status")
            text.string("ready")
            text.key("checkpoint")
            text.string(model.name)
            text.key("step")
            text.integer(model.step)
            text.endObject()
            return Self.response(text, status: .ok)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: self.metrics.text())))
        }
        router.post("/v1/score") { request, _ in
            await self.respond(to: request, route: "score") { data, model in
                guard !model.scorer.ranks else {
                    let kind = model.scorer.trained.configuration.model.rawValue
                    throw InvalidRequestError("the model (\(kind)) ranks a catalogue; use /v1/rank")
                }
                let rows = try ScoringRequest.rows(data, maximumRows: self.limits.maximumRows)
                let scores = try await self.queue.score(rows, with: model, timeout: self.limits.timeout)
                return .scores(
                    names: model.scorer.scoreNames, descriptions: model.scorer.scoreDescriptions, scores: scores, rows: rows.count)
            }
        }
        router.post("/v1/rank") { request, _ in
            await self.respond(to: request, route: "rank") { data, model in
                let query = try ScoringRequest.ranking(data, maximumCount: self.limits.maximumRows)
                let items = try self.queue.forwardLock.withLock {
                    try Compute.withThreads(self.limits.threads) {
                        try model.scorer.rank(history: query.history, row: query.row, count: query.count, excluding: query.excluding)
                    }
                }
                return .ranking(items)
            }
        }
        return router
    }
}
