import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelLanguage

/// `logProbability(prompt:completion:)` against step-by-step decoding and the normalisation of
/// the next-token distribution.
@Suite struct LlamaLogProbabilityTests {
    @Test func tokenLogProbabilitiesEqualStepByStepDecoding() throws {
        let model = try LlamaSyntheticModel.model()
        let prompt: [Int32] = [3, 17, 5]
        let completion: [Int32] = [9, 0, 31, 9]
        let batched = try model.tokenLogProbabilities(prompt: prompt, completion: completion)
        var cache = model.makeCache()
        var logits = try model.logits(forTokens: prompt, cache: &cache)
        for (index, token) in completion.enumerated() {
            let stepped = logits.withUnsafeBufferPointer { LlamaModel.logSoftmax($0, at: Int(token)) }
            #expect(Swift.abs(stepped - batched[index]) < 1e-4)
            logits = try model.logits(forTokens: [token], cache: &cache)
        }
        #expect(Swift.abs(try model.logProbability(prompt: prompt, completion: completion) - batched.reduce(0, +)) < 1e-12)
    }

    @Test func theNextTokenDistributionSumsToOne() throws {
        let model = try LlamaSyntheticModel.model()
        let total = try (0..<Int32(LlamaSyntheticModel.vocabulary)).reduce(0.0) { sum, token in
            sum + Foundation.exp(try model.logProbability(prompt: [1, 2], completion: [token]))
        }
        #expect(Swift.abs(total - 1) < 1e-6)
        #expect(try model.tokenLogProbabilities(prompt: [1], completion: []) == [])
        #expect(throws: LlamaModel.InputError.self) { try model.logProbability(prompt: [], completion: [1]) }
    }
}
