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
    /// Kernel threads per request.
    public let threads: Int

    private let host: ServerHost
    private let worker = DispatchQueue(label: "funnel.llm.serve")

    public init(backend: any LanguageModelBackend, modelName: String = "funnel", port: Int = 8080, threads: Int = 2) {
        self.backend = backend
        self.modelName = modelName
        self.host = ServerHost(host: "127.0.0.1", port: port)
        self.threads = threads
    }

    /// The port asked for: 0 lets the system choose a free one (see ``port``).
    public var requestedPort: Int { host.requestedPort }

    /// The bound port once ``start()`` returned, `nil` before.
    public var port: Int? { host.port }

    /// The API's root, `http://127.0.0.1:<port>`, once started.
    public var url: URL? { host.url }

    /// Binds and starts serving in the background; returns the bound port.
    /// - Throws: the bind's error (a port in use), or when already started.
    @discardableResult
    public func start() async throws -> Int {
        try await host.start(makeRouter(), serverName: "funnel")
    }

    /// Stops serving and waits until the socket is closed.
    public func stop() async {
        await host.stop()
    }

    /// Serves until the calling task is cancelled (starting first unless ``start()`` did).
    public func run() async throws {
        if port == nil { try await start() }
        await host.wait()
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
}
