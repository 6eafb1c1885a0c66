import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A ``LanguageModelBackend`` served over HTTP by an OpenAI-compatible server (`funnel llm serve`,
/// or any server of the chat-completions API for a larger model).
///
/// - `chat` posts to `/v1/chat/completions`; ``ResponseFormat/jsonSchema(_:)`` becomes
///   `{"type": "json_schema", "json_schema": {"schema": …}}` and ``ResponseFormat/pattern(_:)``
///   Funnel's extension `{"type": "regex", "pattern": …}`.
/// - `logProbability` posts to Funnel's extension `/v1/logprob` (`{messages, completion}` →
///   `{logprob}`), which OpenAI's API lacks.
/// - `complete` posts to `/v1/completions`.
///
/// Calls block the calling thread until the response arrives (call them off Swift's
/// cooperative pool); failures throw ``OpenAICompatibleError`` with the status and the server's
/// message.
public struct OpenAICompatibleBackend: LanguageModelBackend {
    /// The server's root, e.g. `http://127.0.0.1:8080` (the `/v1/...` paths are appended).
    public var baseURL: URL
    /// The model name sent in each request.
    public var model: String
    /// Sent as `Authorization: Bearer <apiKey>` when set.
    public var apiKey: String?
    /// Seconds before a request is abandoned.
    public var timeout: TimeInterval

    public init(baseURL: URL, model: String = "funnel", apiKey: String? = nil, timeout: TimeInterval = 600) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
    }

    public func chat(_ messages: [ChatMessage], options: SamplingOptions, format: ResponseFormat) throws -> String {
        var body = samplingFields(options)
        body["model"] = model
        body["messages"] = messages.map { ["role": $0.role, "content": $0.content] }
        switch format {
        case .text: break
        case .pattern(let pattern): body["response_format"] = ["type": "regex", "pattern": pattern]
        case .jsonSchema(let text):
            guard let schema = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
                throw GrammarError(location: .schemaPath("#"), reason: "the schema is not JSON text")
            }
            body["response_format"] = ["type": "json_schema", "json_schema": ["name": "response", "schema": schema]]
        }
        let reply = try post("/v1/chat/completions", body)
        guard let choices = reply["choices"] as? [Any], let first = choices.first as? [String: Any],
            let message = first["message"] as? [String: Any], let content = message["content"] as? String
        else { throw OpenAICompatibleError(status: 200, message: "the reply has no choices[0].message.content string") }
        return content
    }

    public func logProbability(messages: [ChatMessage], completion: String) throws -> Double {
        let body: [String: Any] = [
            "model": model, "messages": messages.map { ["role": $0.role, "content": $0.content] }, "completion": completion,
        ]
        // Decoded by JSONDecoder, which reads the number's text exactly.
        let data = try post("/v1/logprob", body, raw: ())
        guard let reply = try? JSONDecoder().decode(LogProbabilityReply.self, from: data) else {
            throw OpenAICompatibleError(status: 200, message: "the reply has no logprob number")
        }
        return reply.logprob
    }

    public func complete(prompt: String, options: SamplingOptions) throws -> String {
        var body = samplingFields(options)
        body["model"] = model
        body["prompt"] = prompt
        let reply = try post("/v1/completions", body)
        guard let choices = reply["choices"] as? [Any], let first = choices.first as? [String: Any],
            let text = first["text"] as? String
        else { throw OpenAICompatibleError(status: 200, message: "the reply has no choices[0].text string") }
        return text
    }

    /// The request fields of `options`.
    private func samplingFields(_ options: SamplingOptions) -> [String: Any] {
        var fields: [String: Any] = [
            "temperature": Double(options.temperature), "top_p": Double(options.topP),
            "max_tokens": options.maxTokens, "seed": options.seed,
        ]
        if !options.stopSequences.isEmpty { fields["stop"] = options.stopSequences }
        return fields
    }

    /// `/v1/logprob`'s reply.
    private struct LogProbabilityReply: Decodable {
        var logprob: Double
    }

    /// POSTs `body` as JSON to `path` and returns the reply's JSON object.
    private func post(_ path: String, _ body: [String: Any]) throws -> [String: Any] {
        let data = try post(path, body, raw: ())
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw OpenAICompatibleError(status: 200, message: "the reply is not a JSON object")
        }
        return object
    }

    /// POSTs `body` as JSON to `path` and returns the reply's body once its status is a success.
    private func post(_ path: String, _ body: [String: Any], raw: Void) throws -> Data {
        var request = URLRequest(url: baseURL.appendingPathComponent(path), timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, status) = try Self.send(request)
        guard (200..<300).contains(status) else {
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            let message = ((object?["error"] as? [String: Any])?["message"] as? String)
                ?? String(decoding: data.prefix(500), as: UTF8.self)
            throw OpenAICompatibleError(status: status, message: message)
        }
        return data
    }

    /// Sends `request` and waits for its body and status.
    private static func send(_ request: URLRequest) throws -> (Data, Int) {
        let box = ResultBox()
        let semaphore = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(OpenAICompatibleError(status: nil, message: "\(request.url?.absoluteString ?? ""): \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse {
                box.result = .success((data ?? Data(), http.statusCode))
            } else {
                box.result = .failure(OpenAICompatibleError(status: nil, message: "no HTTP response"))
            }
            semaphore.signal()
        }
        task.resume()
        semaphore.wait()
        return try box.result.get()
    }

    /// The completion handler's result, handed to the waiting thread (the semaphore orders the
    /// write before the read).
    private final class ResultBox: @unchecked Sendable {
        var result: Result<(Data, Int), OpenAICompatibleError> = .failure(OpenAICompatibleError(status: nil, message: "no response"))
    }
}
