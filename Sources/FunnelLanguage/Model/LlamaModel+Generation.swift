/// Greedy decoding (llama.cpp's `llama_sampler_init_greedy`): the prompt in one batched pass,
/// then one cached step per generated token, always taking the most likely next token.
extension LlamaModel {
    /// The index of the largest logit (the first of equal ones); `nil` for an empty array or
    /// one of NaNs only.
    public static func argmax(_ logits: [Float]) -> Int? {
        var best: Int?
        var bestValue = -Float.infinity
        for (index, value) in logits.enumerated() where value > bestValue || (best == nil && value == bestValue) {
            best = index
            bestValue = value
        }
        return best
    }

    /// Generates up to `maxTokens` tokens after `prompt`, greedily, and returns them (without
    /// the prompt). Stops early after producing a token of `stopTokens`, which is not returned.
    /// `cache` starts empty unless given; it ends holding the prompt and the fed tokens.
    public func generateGreedy(
        prompt: [Int32], maxTokens: Int, stopTokens: Set<Int32> = [], cache: inout LlamaKVCache
    ) throws -> [Int32] {
        guard maxTokens > 0 else { return [] }
        var logits = try logits(forTokens: prompt, cache: &cache)
        var generated: [Int32] = []
        generated.reserveCapacity(maxTokens)
        while generated.count < maxTokens {
            guard let next = Self.argmax(logits) else {
                throw InputError(description: "the logits after \(cache.count) positions are all NaN")
            }
            let token = Int32(next)
            if stopTokens.contains(token) { break }
            generated.append(token)
            if generated.count == maxTokens { break }
            logits = try self.logits(forTokens: [token], cache: &cache)
        }
        return generated
    }

    /// ``generateGreedy(prompt:maxTokens:stopTokens:cache:)`` with a fresh cache.
    public func generateGreedy(prompt: [Int32], maxTokens: Int, stopTokens: Set<Int32> = []) throws -> [Int32] {
        var cache = makeCache()
        return try generateGreedy(prompt: prompt, maxTokens: maxTokens, stopTokens: stopTokens, cache: &cache)
    }
}
