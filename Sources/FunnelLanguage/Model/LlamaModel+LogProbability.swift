import Foundation

extension LlamaModel {
    /// `log p(c_i | prompt, c_<i)` of each token of `completion` given `prompt`, in float64: one
    /// batched pass over `prompt + completion` with a fresh cache, then a stable log-softmax of
    /// the logits at the position before each completion token (the logits of position `t`
    /// predict token `t + 1`).
    ///
    /// Shapes: `prompt` `[P]` with `P ≥ 1`, `completion` `[C]` → `[C]`.
    /// - Throws: ``LlamaModel/InputError`` for an empty prompt or an id outside the vocabulary.
    public func tokenLogProbabilities(prompt: [Int32], completion: [Int32]) throws -> [Double] {
        guard !prompt.isEmpty else { throw InputError(description: "an empty prompt (a completion's first token needs a position before it)") }
        guard !completion.isEmpty else { return [] }
        var cache = makeCache()
        let logits = try allLogits(forTokens: prompt + completion, cache: &cache)
        let vocabulary = configuration.vocabularySize
        return logits.withUnsafeBufferPointer { logits in
            completion.enumerated().map { index, token in
                let row = UnsafeBufferPointer(rebasing: logits[((prompt.count - 1 + index) * vocabulary)..<((prompt.count + index) * vocabulary)])
                return Self.logSoftmax(row, at: Int(token))
            }
        }
    }

    /// `Σ_i log p(c_i | prompt, c_<i)`: the summed completion log-probability DPO compares
    /// between the policy and the reference (conversational.md §6, `logProb(prompt, completion)`).
    public func logProbability(prompt: [Int32], completion: [Int32]) throws -> Double {
        try tokenLogProbabilities(prompt: prompt, completion: completion).reduce(0, +)
    }

    /// `x_k − log Σ_j exp(x_j)` over one row of logits, with the maximum subtracted first.
    static func logSoftmax(_ row: UnsafeBufferPointer<Float>, at index: Int) -> Double {
        let largest = Double(row.max() ?? 0)
        var total = 0.0
        for value in row { total += Foundation.exp(Double(value) - largest) }
        return Double(row[index]) - largest - Foundation.log(total)
    }
}
