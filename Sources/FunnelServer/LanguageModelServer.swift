import Foundation
import FunnelLanguage
import FunnelTensor
import Hummingbird

/// An OpenAI-compatible HTTP API over any ``LanguageModelBackend``, bound to 127.0.0.1.
///
/// Routes (JSON bodies; bad JSON or a missing or mistyped field → 400 with
/// `{"error": {"message": "<field path>…", "type": "invalid_request_error"}}`; other paths → 404):
/// - `POST /v1/chat/completions`: `{model, messages: [{role, content}], temperature?, top_p?,
///   max_tokens?, stop?: string | [string], seed?, response_format?}` →
///   `{id, object: "chat.completion", created, model, choices: [{index: 0, message: {role:
///   "assistant", content}, finish_reason: "stop"}]}`. `response_format` is `{type: "text"}`,
///   `{type: "json_schema", json_schema: {schema: {…}}}` or Funnel's extension
///   `{type: "regex", pattern: "…"}` (Funnel's regular-expression subset, matching the whole reply).
/// - `POST /v1/completions`: `{model, prompt, max_tokens?, temperature?, top_p?, stop?, seed?}`
///   → `{id, object: "text_completion", created, model, choices: [{text, index: 0,
///   finish_reason: "stop"}]}`: the raw prompt continued without the chat template (backends
///   without ``LanguageModelBackend/complete(prompt:options:)`` answer 400).
/// - `POST /v1/logprob` (Funnel's extension; OpenAI's API cannot score a given reply):
///   `{messages, completion}` → `{logprob}`, `Σ log p(completion | messages)` in nats with the
///   end of the message, as ``LanguageModelBackend/logProbability(messages:completion:)``.
///
/// Requests run one at a time on a worker thread with ``threads`` kernel threads. A grammar the
/// backend refuses (``GrammarError``) is a 400; any other backend failure a 500.
public final class LanguageModelServer: Sendable {
    /// The model behind the API.
    public let backend: any LanguageModelBackend
    /// The name the replies carry when a request names none.
    public let modelName: String
    /// The port asked for: 0 lets the system choose a free one (see ``port``).
    public let requestedPort: Int
    /// Kernel threads per request.
    public let threads: Int

    private let state = State()
    private let worker = DispatchQueue(label: "funnel.llm.serve")

    public init(backend: any LanguageModelBackend, modelName: String = "funnel", port: Int = 8080, threads: Int = 2) {
        self.backend = backend
        self.modelName = modelName
        self.requestedPort = port
        self.threads = threads
    }

    /// The bound port once ``start()`` returned, `nil` before.
    public var port: Int? { state.withLock { $0.port } }

    /// The API's root, `http://127.0.0.1:<port>`, once started.
    public var url: URL? { port.flatMap { URL(string: "http://127.0.0.1:\($0)") } }

    /// Binds and starts serving in the background; returns the bound port.
    /// - Throws: the bind's error (a port in use), or when already started.
    @discardableResult
    public func start() async throws -> Int {
        var application = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname("127.0.0.1", port: requestedPort), serverName: "funnel"),
            onServerRunning: { [state] channel in
                state.resolve(.success(channel.localAddress?.port ?? 0))
            }
        )
        // Hummingbird logs a stop by cancellation as an error; only real failures should show.
        application.logger.logLevel = .critical
        let server = application
        let state = self.state
        return try await withCheckedThrowingContinuation { continuation in
            let accepted = state.withLock { fields -> Bool in
                guard fields.task == nil else { return false }
                fields.waiter = continuation
                // Off the cooperative pool, so computation elsewhere in the process cannot starve it.
                fields.task = Task(executorPreference: ServerExecutor.shared) {
                    do {
                        try await server.run()
                        state.resolve(.failure(CancellationError()))
                    } catch {
                        state.resolve(.failure(error))
                    }
                }
                return true
            }
            if !accepted { continuation.resume(throwing: LanguageModelBackendError.unsupported("starting a server twice")) }
        }
    }

    /// Stops serving and waits until the socket is closed.
    public func stop() async {
        let task = state.withLock { fields -> Task<Void, Never>? in
            defer {
                fields.task = nil
                fields.port = nil
            }
            return fields.task
        }
        task?.cancel()
        await task?.value
    }

    /// Serves until the calling task is cancelled (starting first unless ``start()`` did).
    public func run() async throws {
        if port == nil { try await start() }
        let state = self.state
        await withTaskCancellationHandler {
            let task = state.withLock { $0.task }
            await task?.value
        } onCancel: {
            let task = state.withLock { $0.task }
            task?.cancel()
        }
    }

    // MARK: Routes

    private func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ in
            try await self.respond(to: request) { body in try self.chatCompletion(body) }
        }
        router.post("/v1/completions") { request, _ in
            try await self.respond(to: request) { body in try self.textCompletion(body) }
        }
        router.post("/v1/logprob") { request, _ in
            try await self.respond(to: request) { body in
                let messages = try body.messages()
                let completion = try body.string("completion")
                let value = try self.backend.logProbability(messages: messages, completion: completion)
                return ["object": "logprob", "logprob": ExactNumber(value)]
            }
        }
        return router
    }

    private func chatCompletion(_ body: RequestBody) throws -> [String: Any] {
        let messages = try body.messages()
        let options = try body.samplingOptions()
        let format = try body.responseFormat()
        let content = try backend.chat(messages, options: options, format: format)
        return [
            "id": "chatcmpl-\(UUID().uuidString)", "object": "chat.completion", "created": Self.now(),
            "model": (body.object["model"] as? String) ?? modelName,
            "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
        ]
    }

    private func textCompletion(_ body: RequestBody) throws -> [String: Any] {
        let prompt = try body.string("prompt")
        let options = try body.samplingOptions()
        let text = try backend.complete(prompt: prompt, options: options)
        return [
            "id": "cmpl-\(UUID().uuidString)", "object": "text_completion", "created": Self.now(),
            "model": (body.object["model"] as? String) ?? modelName,
            "choices": [["text": text, "index": 0, "finish_reason": "stop"]],
        ]
    }

    /// Reads the body, runs `handle` on the worker thread and writes its JSON object, or the
    /// error object of a refusal.
    private func respond(to request: Request, _ handle: @escaping @Sendable (RequestBody) throws -> [String: Any]) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 16 << 20)
        let data = Data(buffer.readableBytesView)
        let threads = self.threads
        let outcome: Result<Data, any Error> = await withCheckedContinuation { continuation in
            worker.async {
                continuation.resume(returning: Result {
                    let body = try RequestBody(data: data)
                    let object = try Compute.withThreads(threads) { try handle(body) }
                    return try ExactNumber.serialize(object)
                })
            }
        }
        switch outcome {
        case .success(let data): return Self.json(data, status: .ok)
        case .failure(let error as InvalidRequestError): return Self.error(error.message, type: "invalid_request_error", status: .badRequest)
        case .failure(let error as GrammarError): return Self.error("'response_format': \(error)", type: "invalid_request_error", status: .badRequest)
        case .failure(let error as LanguageModelBackendError): return Self.error("\(error)", type: "invalid_request_error", status: .badRequest)
        case .failure(let error): return Self.error("\(error)", type: "server_error", status: .internalServerError)
        }
    }

    private static func error(_ message: String, type: String, status: HTTPResponse.Status) -> Response {
        let object: [String: Any] = ["error": ["message": message, "type": type]]
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return json(data, status: status)
    }

    private static func json(_ data: Data, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func now() -> Int { Int(Date().timeIntervalSince1970) }

    /// The running server's task and bound port, and the caller of ``start()`` waiting for it.
    private final class State: @unchecked Sendable {
        struct Fields {
            var task: Task<Void, Never>?
            var port: Int?
            var waiter: CheckedContinuation<Int, any Error>?
        }

        private let lock = NSLock()
        private var fields = Fields()

        func withLock<T>(_ body: (inout Fields) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&fields)
        }

        /// Hands the bind's outcome to the waiting ``start()`` (once).
        func resolve(_ outcome: Result<Int, any Error>) {
            let waiter = withLock { fields -> CheckedContinuation<Int, any Error>? in
                if case .success(let port) = outcome { fields.port = port }
                defer { fields.waiter = nil }
                return fields.waiter
            }
            waiter?.resume(with: outcome)
        }
    }
}
