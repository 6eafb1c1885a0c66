import Foundation
import FunnelLanguage
import FunnelTensor

/// `funnel bench language-model`: the in-process language model's speed (issue 22) — prompt
/// tokens/s, generated tokens/s (greedy, KV cache), completion log-probability tokens/s — and
/// the sentence embedder's texts/s, on each thread count, with the resident memory.
///
/// The prompt is the first `promptTokens` ids of a fixed English text; generation feeds the
/// argmax back `generatedTokens` times after that prompt (no stop token); the log-probability
/// scores a `generatedTokens`-long completion after an 8-token prompt in one batched pass, and
/// LoRA training runs the adapter model's forward and backward over the same completion.
/// The chat rows time `chatCount` greedy chats (`chatGeneratedTokens` tokens each) whose prompts
/// share a ~400-token system message (the fixed text, six times) and differ in the user's
/// question, with the prefix cache on (capacity 8, empty at the start of each run: the first
/// chat is cold) and off (capacity 0); both must give the same tokens.
/// Each figure is the best of `repeats` runs. llama.cpp's figures for SmolLM2-135M Q4_1 on one
/// thread (≈70 prompt and ≈42 generated tokens/s) are quoted by the issue, not measured here.
public enum LanguageModelBenchmark {
    public struct Options: Sendable {
        /// The GGUF file.
        public var modelPath: String
        /// The MiniLM folder (`model.safetensors`, `vocab.txt`, `config.json`); `nil` skips it.
        public var embedderFolder: String?
        public var promptTokens = 64
        public var generatedTokens = 64
        public var threadCounts = [1, 2]
        public var repeats = 3
        public var chatCount = 8
        public var chatGeneratedTokens = 8
        public var log: (@Sendable (String) -> Void)?

        public init(modelPath: String, embedderFolder: String? = nil) {
            self.modelPath = modelPath
            self.embedderFolder = embedderFolder
        }
    }

    public struct Result: Codable, Sendable {
        public var threads: Int
        public var promptTokensPerSecond: Double
        public var generatedTokensPerSecond: Double
        public var logProbabilityTokensPerSecond: Double
        /// LoRA training: forward + backward of the adapter model's completion log-probability
        /// (rank 8 on every projection) over the same completion.
        public var adapterTrainingTokensPerSecond: Double
        /// Sentences embedded per second (64 short sentences a batch), or `nil` without MiniLM.
        public var embeddedTextsPerSecond: Double?
        /// The chats' prompt tokens per second of their total time (prefill and generation),
        /// with the prefix cache on and off.
        public var cachedChatTokensPerSecond: Double
        public var uncachedChatTokensPerSecond: Double
    }

    public struct Report: Codable, Sendable {
        public var loadSeconds: Double
        /// Byte-level BPE tokens/s encoding ~100 KB of one paragraph repeated (so after its first
        /// copy every word comes from the word cache: an upper figure); one thread.
        public var tokenizerTokensPerSecond: Double
        /// Resident memory after loading and running, MiB.
        public var residentMiB: Double
        public var results: [Result]
    }

    static let text = """
        Funnel learns debiased recommendation models from exposure logs. A user sees an item, may click it, \
        and after the click may convert, visit a portal or watch for a while. Non-clicks may mean the user \
        never looked; clicks may only be a way into a portal; post-click labels exist only for clicked rows.
        """

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    public static func run(_ options: Options) throws -> Report {
        var language: LanguageModel?
        let load = try seconds { language = try LanguageModel(path: options.modelPath) }
        guard let language else { throw LanguageFileError(file: options.modelPath, field: "model", reason: "not loaded") }
        options.log?("loaded \(options.modelPath) in \(String(format: "%.2f", load)) s")
        let embedder = try options.embedderFolder.map { try SentenceEmbedder(folder: $0) }
        var ids = language.tokenizer.encode(text)
        while ids.count < options.promptTokens + options.generatedTokens + 8 { ids += ids }
        let prompt = Array(ids.prefix(options.promptTokens))
        let completion = Array(ids[8..<(8 + options.generatedTokens)])
        let sentences = (0..<64).map { "Sentence \($0): " + text.split(separator: ".")[$0 % 3] }
        let model = language.model
        let adapted = LlamaAdapterModel(model: model)
        let long = String(repeating: text + "\n", count: 100_000 / text.utf8.count + 1)
        var tokenCount = 0
        let tokenizing = seconds { tokenCount = language.tokenizer.encode(long).count }
        let instructions = String(repeating: text + " ", count: 6)
        let chats = (0..<options.chatCount).map { index in
            [ChatMessage(role: "system", content: instructions),
             ChatMessage(role: "user", content: "Question \(index + 1): what does the log say about item \(7 * index + 3)?")]
        }
        let chatPromptTokens = chats.reduce(0) { $0 + language.promptTokens($1).count }
        let chatOptions = SamplingOptions(maxTokens: options.chatGeneratedTokens)
        /// The seconds of every chat on a fresh model with `capacity` cached prefixes, and their tokens.
        func timeChats(capacity: Int) throws -> (seconds: Double, tokens: [[Int32]]) {
            let chatModel = LanguageModel(
                tokenizer: language.tokenizer, template: language.template, model: model, path: language.path, prefixCacheCapacity: capacity)
            var tokens: [[Int32]] = []
            let time = try seconds { tokens = try chats.map { try chatModel.chat($0, options: chatOptions).tokens } }
            return (time, tokens)
        }
        var results: [Result] = []
        for threads in options.threadCounts {
            try Compute.withThreads(threads) {
                var best = (
                    prompt: Double.infinity, generation: Double.infinity, logProbability: Double.infinity, training: Double.infinity,
                    embedding: Double.infinity, cachedChats: Double.infinity, uncachedChats: Double.infinity)
                for _ in 0..<Swift.max(1, options.repeats) {
                    var cache = model.makeCache()
                    best.prompt = Swift.min(best.prompt, try seconds { _ = try model.logits(forTokens: prompt, cache: &cache) })
                    // One-token steps after the cached prompt: the first feeds the prompt's first id again.
                    best.generation = Swift.min(best.generation, try seconds {
                        _ = try model.generateGreedy(prompt: [prompt[0]], maxTokens: options.generatedTokens, cache: &cache)
                    })
                    best.logProbability = Swift.min(best.logProbability, try seconds {
                        _ = try model.logProbability(prompt: Array(ids.prefix(8)), completion: completion)
                    })
                    best.training = Swift.min(best.training, try seconds {
                        adapted.zeroGradients()
                        try adapted.completionLogProbability(prompt: Array(ids.prefix(8)), completion: completion).backward()
                    })
                    let cached = try timeChats(capacity: 8)
                    let uncached = try timeChats(capacity: 0)
                    guard cached.tokens == uncached.tokens else {
                        throw LanguageFileError(file: options.modelPath, field: "prefix cache", reason: "cached chats differ from uncached ones")
                    }
                    best.cachedChats = Swift.min(best.cachedChats, cached.seconds)
                    best.uncachedChats = Swift.min(best.uncachedChats, uncached.seconds)
                    if let embedder { best.embedding = Swift.min(best.embedding, seconds { _ = embedder.embed(sentences) }) }
                }
                let result = Result(
                    threads: threads, promptTokensPerSecond: Double(prompt.count) / best.prompt,
                    generatedTokensPerSecond: Double(options.generatedTokens) / best.generation,
                    logProbabilityTokensPerSecond: Double(completion.count) / best.logProbability,
                    adapterTrainingTokensPerSecond: Double(completion.count) / best.training,
                    embeddedTextsPerSecond: embedder == nil ? nil : Double(sentences.count) / best.embedding,
                    cachedChatTokensPerSecond: Double(chatPromptTokens) / best.cachedChats,
                    uncachedChatTokensPerSecond: Double(chatPromptTokens) / best.uncachedChats)
                options.log?(String(format: "%d thread(s): prompt %.0f, generation %.1f, log-probability %.0f tokens/s", threads,
                    result.promptTokensPerSecond, result.generatedTokensPerSecond, result.logProbabilityTokensPerSecond))
                results.append(result)
            }
        }
        return Report(loadSeconds: load, tokenizerTokensPerSecond: Double(tokenCount) / tokenizing, residentMiB: ResidentMemory.current(), results: results)
    }

    public static func table(_ report: Report) -> String {
        var lines = ["threads  prompt tok/s  generated tok/s  log-prob tok/s  LoRA train tok/s  texts/s (MiniLM)"]
        for result in report.results {
            lines.append(String(
                format: "%7d %13.0f %16.1f %15.0f %17.0f %17@", result.threads, result.promptTokensPerSecond, result.generatedTokensPerSecond,
                result.logProbabilityTokensPerSecond, result.adapterTrainingTokensPerSecond, result.embeddedTextsPerSecond.map { String(format: "%.0f", $0) } ?? "—"))
        }
        lines.append("")
        lines.append("8 chats sharing a ~400-token system message (prompt tokens/s of prefill and 8 greedy tokens each):")
        lines.append("threads  prefix cache on  prefix cache off  ratio")
        for result in report.results {
            lines.append(String(
                format: "%7d %16.0f %17.0f %6.2f×", result.threads, result.cachedChatTokensPerSecond, result.uncachedChatTokensPerSecond,
                result.cachedChatTokensPerSecond / result.uncachedChatTokensPerSecond))
        }
        lines.append(String(format: "Tokenizer: %.0f tokens/s.", report.tokenizerTokensPerSecond))
        lines.append(String(format: "Loaded in %.2f s; resident memory %.0f MiB. llama.cpp (quoted by issue 22, 1 thread): ≈70 prompt, ≈42 generated tokens/s.", report.loadSeconds, report.residentMiB))
        return lines.joined(separator: "\n")
    }
}
