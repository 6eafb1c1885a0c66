import ArgumentParser
import Foundation
import FunnelLanguage
import FunnelServer

extension LanguageModelCommand {
    /// `funnel llm serve`: the in-process model behind an OpenAI-compatible HTTP API on 127.0.0.1.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the language model over an OpenAI-compatible HTTP API on 127.0.0.1.",
            discussion: """
                Routes: POST /v1/chat/completions (response_format: text, json_schema, or Funnel's {"type": "regex", "pattern": ...}), POST /v1/completions (raw prompt, no chat template) and Funnel's extension POST /v1/logprob ({messages, completion} -> {logprob}: the summed log-probability of a reply, in nats). OpenAICompatibleBackend is the matching client. Stop with Ctrl-C.
                """)

        @Option(help: "The GGUF file.")
        var model = LanguageModelCache.smolLM2GGUF

        @Option(help: "The port on 127.0.0.1 (0: any free port).")
        var port = 8080

        @Option(help: "Kernel threads per request.")
        var threads = 2

        func run() throws {
            let language = try LanguageModel(path: model)
            let name = URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
            let server = LanguageModelServer(backend: language, modelName: name, port: port, threads: threads)
            try ServingLoop.run(
                start: { try await server.start() },
                announcement: { "funnel llm: serving \(name) at \(server.url?.absoluteString ?? "?")/v1" },
                serve: { try await server.run() })
        }
    }
}
