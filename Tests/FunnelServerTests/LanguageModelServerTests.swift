import Foundation
import FunnelLanguage
import FunnelServer
import FunnelTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// ``LanguageModelServer`` through a real loopback socket: ``OpenAICompatibleBackend`` against a
/// deterministic fake backend (and the real SmolLM2 when the model cache has it).
@Suite(.serialized)
struct LanguageModelServerTests {
    let question = [ChatMessage(role: "user", content: "What is the capital of France?")]

    @Test func chatsThroughTheAPI() async throws {
        let fake = EchoBackend()
        try await withServer(fake) { url in
            let client = OpenAICompatibleBackend(baseURL: url, model: "echo", apiKey: "secret")
            let options = SamplingOptions(temperature: 0.5, topP: 0.9, maxTokens: 7, stopSequences: ["\n", "END"], seed: 11)
            let reply = try await blocking { try client.chat(question, options: options, format: .text) }
            #expect(reply == "echo(1): What is the capital of France?")
            let received = try #require(fake.receivedOptions.last)
            #expect(received.temperature == 0.5 && received.topP == 0.9 && received.maxTokens == 7)
            #expect(received.stopSequences == ["\n", "END"] && received.seed == 11)
            #expect(fake.receivedFormats == [.text])
            // Raw completion.
            let completed = try await blocking { try client.complete(prompt: "abc", options: SamplingOptions()) }
            #expect(completed == "cba")
        }
    }

    @Test func passesTheResponseFormat() async throws {
        let fake = EchoBackend()
        try await withServer(fake) { url in
            let client = OpenAICompatibleBackend(baseURL: url)
            let schema = #"{"properties":{"rating":{"maximum":5,"minimum":1,"type":"integer"}},"required":["rating"],"type":"object"}"#
            _ = try await blocking { try client.chat(question, options: SamplingOptions(), format: .jsonSchema(schema)) }
            _ = try await blocking { try client.chat(question, options: SamplingOptions(), format: .pattern("(yes|no)")) }
            #expect(fake.receivedFormats.count == 2)
            guard case .jsonSchema(let received) = fake.receivedFormats.first else {
                Issue.record("expected a JSON schema, got \(fake.receivedFormats)")
                return
            }
            let sent = try JSONSerialization.jsonObject(with: Data(schema.utf8)) as? NSDictionary
            let got = try JSONSerialization.jsonObject(with: Data(received.utf8)) as? NSDictionary
            #expect(sent == got)
            #expect(fake.receivedFormats.last == .pattern("(yes|no)"))
        }
    }

    @Test func scoresACompletion() async throws {
        try await withServer(EchoBackend()) { url in
            let client = OpenAICompatibleBackend(baseURL: url)
            let value = try await blocking { try client.logProbability(messages: question, completion: "Paris.") }
            #expect(value == -1.25 * 6 - 0.1)
        }
    }

    @Test func refusesBadRequestsNamingTheField() async throws {
        try await withServer(EchoBackend()) { url in
            let (status, body) = try await post(url, "/v1/chat/completions", "{not json")
            #expect(status == 400)
            #expect(errorType(body) == "invalid_request_error")

            let missing = try await post(url, "/v1/chat/completions", #"{"model": "m", "messages": [{"role": "user"}]}"#)
            #expect(missing.status == 400)
            #expect(errorMessage(missing.body)?.contains("messages[0].content") == true)

            let noCompletion = try await post(url, "/v1/logprob", #"{"messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(noCompletion.status == 400 && errorMessage(noCompletion.body)?.contains("completion") == true)

            let badStop = try await post(url, "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "hi"}], "stop": [1]}"#)
            #expect(badStop.status == 400 && errorMessage(badStop.body)?.contains("stop[0]") == true)

            // The client surfaces the status and message.
            let client = OpenAICompatibleBackend(baseURL: url)
            let error = await #expect(throws: OpenAICompatibleError.self) {
                try await blocking { try client.chat([], options: SamplingOptions(), format: .text) }
            }
            #expect(error?.status == 400 && error?.message.contains("messages") == true)
        }
    }

    @Test func unknownRoutesAreNotFound() async throws {
        try await withServer(EchoBackend()) { url in
            let embeddings = try await post(url, "/v1/embeddings", "{}")
            let nothing = try await post(url, "/nothing", "{}")
            #expect(embeddings.status == 404 && nothing.status == 404)
        }
    }

    @Test(.needsLanguageModels) func servesTheRealModelIdentically() async throws {
        let language = try LanguageModel(path: LanguageModels.smolLM2GGUF)
        try await withServer(language) { url in
            let client = OpenAICompatibleBackend(baseURL: url)
            let options = SamplingOptions(maxTokens: 24)
            let remote = try await blocking { try client.chat(question, options: options, format: .text) }
            let local = try language.chat(question, options: options, format: .text)
            #expect(remote.contains("Paris"))
            #expect(remote == local)
            let completion = "The capital of France is Paris."
            let remoteScore = try await blocking { try client.logProbability(messages: question, completion: completion) }
            let localScore = try language.logProbability(messages: question, completion: completion)
            #expect(remoteScore == localScore)
        }
    }

    // MARK: Helpers

    /// Runs `body` against a server of `backend` on a free port, stopping it afterwards.
    private func withServer(_ backend: any LanguageModelBackend, _ body: (URL) async throws -> Void) async throws {
        let server = LanguageModelServer(backend: backend, port: 0, threads: 2)
        let port = try await server.start()
        #expect(port > 0 && server.port == port)
        let url = try #require(server.url)
        do {
            try await body(url)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        #expect(server.port == nil)
    }

    /// A raw POST: its status and body.
    private func post(_ url: URL, _ path: String, _ text: String) async throws -> (status: Int, body: Data) {
        try await HTTPTestClient.send(url, path, body: text)
    }

    private func errorMessage(_ body: Data) -> String? { HTTPTestClient.error(body).message }

    private func errorType(_ body: Data) -> String? { HTTPTestClient.error(body).type }
}
