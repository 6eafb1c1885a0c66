import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

/// `Fixtures/llama/first-token-logits.json`: the last position's logits of SmolLM2-135M-Instruct
/// for three fixed prompts, computed in float64 by `Scripts/llama_reference.py` (numpy, its own
/// GGUF reader, dequantiser and forward pass).
struct LlamaReference: Decodable {
    struct Prompt: Decodable {
        let name: String
        let tokens: [Int32]
        let argmax: Int
        let topIds: [Int]
        let topLogits: [Double]
        let fixedLogits: [Double]
        let maxAbsLogit: Double
    }

    let fixedIds: [Int]
    let prompts: [Prompt]
    /// The greedy continuation of the `chat` prompt ("The capital of France is Paris.…").
    let chatGreedy: [Int32]

    static func load() throws -> LlamaReference {
        guard let url = Bundle.module.url(forResource: "first-token-logits", withExtension: "json", subdirectory: "Fixtures/llama") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(LlamaReference.self, from: Data(contentsOf: url))
    }
}

/// The real model with its tokenizer and template, dequantised once per test process.
enum SharedLanguageModel {
    static func get() throws -> LanguageModel { try loaded.get() }

    private static let loaded = Result<LanguageModel, any Error> {
        try LanguageModel(path: LanguageModels.smolLM2GGUF)
    }
}

/// The real decoder alone (the one of ``SharedLanguageModel``).
enum SharedLlamaModel {
    static func get() throws -> LlamaModel { try SharedLanguageModel.get().model }
}

struct LlamaModelTests {
    @Test(.needsLanguageModels) func readsSmolLM2sConfiguration() throws {
        let configuration = try SharedLlamaModel.get().configuration
        #expect(configuration.layerCount == 30)
        #expect(configuration.hiddenSize == 576)
        #expect(configuration.headCount == 9 && configuration.keyValueHeadCount == 3 && configuration.headDimension == 64)
        #expect(configuration.feedForwardSize == 1536)
        #expect(configuration.vocabularySize == 49152)
        #expect(configuration.ropeFrequencyBase == 100_000)
        #expect(abs(configuration.normEpsilon - 1e-5) < 1e-9)
    }

    @Test(.needsLanguageModels) func lastPositionLogitsMatchTheReference() throws {
        let model = try SharedLlamaModel.get()
        let reference = try LlamaReference.load()
        #expect(reference.prompts.count == 3)
        for prompt in reference.prompts {
            var cache = model.makeCache()
            let logits = try model.logits(forTokens: prompt.tokens, cache: &cache)
            #expect(logits.count == 49152)
            let tolerance = Float(1e-3 * prompt.maxAbsLogit)
            for (id, expected) in zip(prompt.topIds, prompt.topLogits) {
                #expect(abs(logits[id] - Float(expected)) <= tolerance, "\(prompt.name): id \(id): \(logits[id]) vs \(expected)")
            }
            for (id, expected) in zip(reference.fixedIds, prompt.fixedLogits) {
                #expect(abs(logits[id] - Float(expected)) <= tolerance, "\(prompt.name): id \(id): \(logits[id]) vs \(expected)")
            }
            let argmax = logits.indices.max { logits[$0] < logits[$1] }
            #expect(argmax == prompt.argmax, "\(prompt.name)")
        }
    }

    @Test(.needsLanguageModels) func theCachedPathMatchesTheFullPassOnTwoThreads() throws {
        let model = try SharedLlamaModel.get()
        let reference = try LlamaReference.load()
        guard let prompt = reference.prompts.first(where: { $0.name == "plain" }) else {
            Issue.record("no plain prompt in the fixture")
            return
        }
        try Compute.withThreads(2) {
            var cache = model.makeCache()
            let full = try model.logits(forTokens: prompt.tokens, cache: &cache)
            cache.reset()
            _ = try model.logits(forTokens: Array(prompt.tokens.dropLast()), cache: &cache)
            let stepped = try model.logits(forTokens: Array(prompt.tokens.suffix(1)), cache: &cache)
            #expect(cache.count == prompt.tokens.count)
            let largest = full.map(abs).max() ?? 1
            let worst = zip(full, stepped).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4 * max(largest, 1), "largest difference \(worst) of logits up to \(largest)")
        }
    }

    @Test(.needsLanguageModels) func greedyGenerationContinuesTheChatPromptAsTheReference() throws {
        let model = try SharedLlamaModel.get()
        let reference = try LlamaReference.load()
        guard let chat = reference.prompts.first(where: { $0.name == "chat" }) else {
            Issue.record("no chat prompt in the fixture")
            return
        }
        // <|im_end|> (id 2) ends the answer: "The capital of France is Paris."
        let answer = try model.generateGreedy(prompt: chat.tokens, maxTokens: 20, stopTokens: [2])
        #expect(answer == Array(reference.chatGreedy.prefix { $0 != 2 }))
    }

    @Test(.needsLanguageModels) func theQuantisedDecodeStepMatchesTheFloatOne() throws {
        let model = try SharedLlamaModel.get()
        let weights = model.weights
        #expect(weights.quantisedOutput?.type == .q8_0)
        #expect(weights.layers.allSatisfy {
            $0.quantisedQueryKeyValue?.type == .q4_1 && $0.quantisedAttentionOutput != nil
                && $0.quantisedGateUp?.rows == 2 * model.configuration.feedForwardSize && $0.quantisedDown != nil
        })
        let float = LlamaModel(weights: weights, quantisedDecoding: false)
        let reference = try LlamaReference.load()
        guard let prompt = reference.prompts.first(where: { $0.name == "plain" }) else {
            Issue.record("no plain prompt in the fixture")
            return
        }
        for threads in [1, 2] {
            try Compute.withThreads(threads) {
                var quantisedCache = model.makeCache()
                var floatCache = float.makeCache()
                _ = try model.logits(forTokens: Array(prompt.tokens.dropLast()), cache: &quantisedCache)
                _ = try float.logits(forTokens: Array(prompt.tokens.dropLast()), cache: &floatCache)
                let quantised = try model.logits(forTokens: Array(prompt.tokens.suffix(1)), cache: &quantisedCache)
                let stepped = try float.logits(forTokens: Array(prompt.tokens.suffix(1)), cache: &floatCache)
                let largest = stepped.map(abs).max() ?? 1
                let worst = zip(quantised, stepped).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-4 * max(largest, 1), "\(threads) threads: largest difference \(worst) of logits up to \(largest)")
            }
        }
    }
}
