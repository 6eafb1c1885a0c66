import ArgumentParser
import Foundation
import FunnelLanguage
import FunnelTensor

/// `funnel llm`: the in-process language model and sentence embedder, by hand.
struct LanguageModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm",
        abstract: "Chat with the in-process language model or embed sentences (issue 22).",
        discussion: """
            The models come from the cache that Scripts/fetch-language-models.sh fills ($FUNNEL_MODEL_CACHE or ~/.cache/funnel/models).

            Examples:
              funnel llm chat "What is the capital of France?"
              funnel llm chat --grammar action --temperature 0.7 "I'd like a film for tonight."
              funnel llm embed "a film about guitars" "a documentary on jazz"
              funnel llm serve --port 8080
            """,
        subcommands: [Chat.self, Embed.self, Serve.self])

    struct Chat: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One reply to a user message (greedy unless --temperature).")

        @Argument(help: "The user's message.")
        var message: String

        @Option(help: "A system message (the model's default one otherwise).")
        var system: String?

        @Option(help: "The GGUF file.")
        var model = LanguageModelCache.smolLM2GGUF

        @Option(help: "Sampling temperature (0: greedy).")
        var temperature: Float = 0

        @Option(help: "Nucleus sampling's probability mass.")
        var topP: Float = 1

        @Option(help: "The most tokens to generate.")
        var maxTokens = 256

        @Option(help: "Seed of the sampling draws.")
        var seed: UInt64 = 0

        @Option(help: "Constrain the reply: 'action' (ECPO's Ask/Recommend/Response/Search[...]), or a regular expression with --pattern.")
        var grammar: String?

        @Option(help: "Constrain the reply to this regular expression (Funnel's subset).")
        var pattern: String?

        @Option(help: "Threads.")
        var threads = 2

        func run() throws {
            let language = try LanguageModel(path: model)
            var format = pattern.map(ResponseFormat.pattern) ?? .text
            if let grammar {
                guard grammar == "action" else { throw ValidationError("--grammar: \(grammar.debugDescription); expected 'action'") }
                format = .pattern(ActionGrammar.pattern)
            }
            let constraint = try language.constraint(for: format)
            let messages = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + [ChatMessage(role: "user", content: message)]
            let options = SamplingOptions(temperature: temperature, topP: topP, maxTokens: maxTokens, seed: seed)
            let reply = try Compute.withThreads(threads) { try language.chat(messages, options: options, constraint: constraint) }
            print(reply.text)
            if constraint != nil, !reply.isComplete {
                FileHandle.standardError.write(Data("funnel llm: the reply stopped (\(reply.finish)) before the grammar accepted it\n".utf8))
            }
        }
    }

    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "all-MiniLM-L6-v2 embeddings (384 values, unit length) as JSON, one array per text.")

        @Argument(help: "The texts.")
        var texts: [String]

        @Option(help: "The MiniLM folder (model.safetensors, vocab.txt, config.json).")
        var folder = LanguageModelCache.miniLMFolder

        func run() throws {
            let embeddings = try SentenceEmbedder(folder: folder).embed(texts)
            let data = try JSONSerialization.data(withJSONObject: embeddings.map { $0.map(Double.init) })
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
