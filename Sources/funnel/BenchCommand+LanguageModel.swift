import ArgumentParser
import Foundation
import FunnelBenchmarks
import FunnelLanguage

extension BenchCommand {
    struct LanguageModelBenchCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "language-model",
            abstract: "Prompt, generated and log-probability tokens/s of the in-process language model, and MiniLM's texts/s, on 1 and 2 threads.",
            discussion: """
                Issue 22: SmolLM2-135M-Instruct (Q4_1, dequantised to Float32 at load for prompts; each generated token multiplies by the Q4_1/Q8_0 blocks) from the model cache, a 64-token prompt, 64 greedy tokens with the KV cache, a 64-token completion scored in one pass; 8 greedy chats sharing a ~400-token system message with the prefix cache on and off (prompt tokens/s and their ratio); all-MiniLM-L6-v2 on 64 short sentences. The best of --repeats runs. llama.cpp's figures (≈70 prompt, ≈42 generated tokens/s on one thread) are quoted, not measured.

                Example: swift run -c release funnel bench language-model
                """)

        @Option(help: "The GGUF file.")
        var model = LanguageModelCache.smolLM2GGUF

        @Option(help: "The MiniLM folder ('none' skips it).")
        var embedder = LanguageModelCache.miniLMFolder

        @Option(help: "Runs per figure (the best is kept).")
        var repeats = 3

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            var options = LanguageModelBenchmark.Options(modelPath: model, embedderFolder: embedder == "none" ? nil : embedder)
            options.repeats = repeats
            options.log = { message in FileHandle.standardError.write(Data((message + "\n").utf8)) }
            let report = try LanguageModelBenchmark.run(options)
            print(json ? try encodeJSON(report) : LanguageModelBenchmark.table(report))
        }
    }
}
