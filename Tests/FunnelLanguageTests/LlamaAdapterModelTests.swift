import Foundation
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelLanguage

/// `LlamaAdapterModel` against the inference `LlamaModel` (zero `B`: the same logits; merged
/// adapters: the same logits as the merged weights), its gradients (adapters only, finite
/// differences) and adapter checkpoints.
@Suite struct LlamaAdapterModelTests {
    /// `max |a − b| / max |b|`.
    static func relativeError(_ actual: [Float], _ expected: [Float]) -> Float {
        let scale = expected.map(Swift.abs).max() ?? 1
        return zip(actual, expected).map { Swift.abs($0 - $1) }.max().map {
            $0 / Swift.max(scale, 1e-30)
        } ?? 0
    }

    /// Fills every adapter `B` (`up`) with small deterministic non-zero values.
    static func perturbUp(_ model: LlamaAdapterModel, scale: Float = 0.05) {
        for (name, parameter) in model.namedParameters() where name.hasSuffix(".up") {
            parameter.withUnsafeMutableBufferPointer { values in
                for index in values.indices {
                    values[index] =
                        scale * Float(Foundation.sin(Double(index) * 1.7 + Double(name.count)))
                }
            }
        }
    }

    @Test func zeroAdaptersGiveTheInferenceLogitsOnTheSyntheticModel() throws {
        let model = try LlamaSyntheticModel.model()
        let adapted = LlamaAdapterModel(model: model, seed: 7)
        let tokens: [Int32] = [3, 17, 5, 9, 0, 31, 9, 12, 4]
        var cache = model.makeCache()
        let expected = try model.allLogits(forTokens: tokens, cache: &cache)
        let logits = try adapted.logits(tokens: tokens)
        #expect(logits.shape == [tokens.count, LlamaSyntheticModel.vocabulary])
        #expect(Self.relativeError(logits.scalars, expected) < 1e-4)
        // Every projection of every layer is adapted with rank 8; only A and B are parameters.
        #expect(adapted.namedParameters().count == 2 * 4 * LlamaSyntheticModel.layerCount)
        #expect(
            adapted.namedParameters().allSatisfy {
                $0.name.hasSuffix(".down") || $0.name.hasSuffix(".up")
            })
        #expect(
            adapted.layers[0].queryKeyValue?.rank == 8
                && adapted.layers[0].queryKeyValue?.scale == 2)
        // The adapters' frozen weights share the model's storage: nothing is copied.
        let frozen = model.weights.layers[1].gateUp.withUnsafeBufferPointer(\.baseAddress)
        let shared = adapted.layers[1].gateUp?.weight.withUnsafeBufferPointer(\.baseAddress)
        #expect(frozen != nil && shared == frozen)
    }

    @Test func trainedAdaptersGiveTheLogitsOfTheMergedWeights() throws {
        let model = try LlamaSyntheticModel.model()
        let adapted = LlamaAdapterModel(model: model, rank: 4, alpha: 4, seed: 3)
        Self.perturbUp(adapted, scale: 0.2)
        let configuration = model.configuration
        let (hidden, keyValue, feedForward) = (
            configuration.hiddenSize, configuration.keyValueSize, configuration.feedForwardSize
        )
        var tensors = Dictionary(
            uniqueKeysWithValues: LlamaSyntheticModel.tensors().map { ($0.name, $0.values) })
        for (index, layer) in adapted.layers.enumerated() {
            let prefix = "blk.\(index)."
            let queryKeyValue = try #require(layer.queryKeyValue).mergedWeight().scalars
            tensors[prefix + "attn_q.weight"] = Array(queryKeyValue[0..<(hidden * hidden)])
            tensors[prefix + "attn_k.weight"] = Array(
                queryKeyValue[(hidden * hidden)..<((hidden + keyValue) * hidden)])
            tensors[prefix + "attn_v.weight"] = Array(
                queryKeyValue[((hidden + keyValue) * hidden)...])
            tensors[prefix + "attn_output.weight"] = try #require(layer.attentionOutput)
                .mergedWeight().scalars
            let gateUp = try #require(layer.gateUp).mergedWeight().scalars
            tensors[prefix + "ffn_gate.weight"] = Array(gateUp[0..<(feedForward * hidden)])
            tensors[prefix + "ffn_up.weight"] = Array(gateUp[(feedForward * hidden)...])
            tensors[prefix + "ffn_down.weight"] = try #require(layer.down).mergedWeight().scalars
        }
        let merged = LlamaModel(
            weights: try LlamaWeights(configuration: configuration, tensors: tensors))
        let tokens: [Int32] = [1, 30, 2, 2, 8, 19]
        var cache = merged.makeCache()
        let expected = try merged.allLogits(forTokens: tokens, cache: &cache)
        var original = model.makeCache()
        let unadapted = try model.allLogits(forTokens: tokens, cache: &original)
        let logits = try adapted.logits(tokens: tokens).scalars
        #expect(Self.relativeError(logits, expected) < 1e-4)
        #expect(Self.relativeError(logits, unadapted) > 1e-2)  // the adapters do change the model
        // mergedWeights() folds the adapters in the same way.
        let served = LlamaModel(weights: try adapted.mergedWeights())
        var servedCache = served.makeCache()
        #expect(try served.allLogits(forTokens: tokens, cache: &servedCache) == expected)
        #expect(served.weights.output === served.weights.tokenEmbedding)
        #expect(
            model.weights.layers[0].queryKeyValue.scalars
                != served.weights.layers[0].queryKeyValue.scalars)
    }

    @Test func targetsChooseTheAdaptedProjections() throws {
        let adapted = LlamaAdapterModel(
            model: try LlamaSyntheticModel.model(), rank: 2, targets: [.queryKeyValue, .down])
        #expect(
            adapted.layers.allSatisfy {
                $0.queryKeyValue != nil && $0.attentionOutput == nil && $0.gateUp == nil
                    && $0.down != nil
            })
        #expect(
            adapted.namedParameters().map(\.name).prefix(4) == [
                "layers.0.queryKeyValue.down", "layers.0.queryKeyValue.up", "layers.0.down.down",
                "layers.0.down.up",
            ])
        #expect(throws: LlamaModel.InputError.self) { try adapted.logits(tokens: [32]) }
        #expect(throws: LlamaModel.InputError.self) { try adapted.logits(tokens: []) }
        #expect(throws: LlamaModel.InputError.self) {
            try adapted.completionLogProbability(prompt: [], completion: [1])
        }
        #expect(throws: LlamaModel.InputError.self) {
            try adapted.completionLogProbability(prompt: [1], completion: [-1])
        }
    }

    @Test func completionLogProbabilityEqualsTheInferenceModels() throws {
        let model = try LlamaSyntheticModel.model()
        let adapted = LlamaAdapterModel(model: model)
        let (prompt, completion): ([Int32], [Int32]) = ([3, 17, 5], [9, 0, 31, 9])
        let expected = try model.tokenLogProbabilities(prompt: prompt, completion: completion)
        let perToken = try adapted.completionTokenLogProbabilities(
            prompt: prompt, completion: completion
        ).scalars
        for (actual, reference) in zip(perToken, expected) {
            #expect(Swift.abs(Double(actual) - reference) < 1e-4)
        }
        let total = try adapted.completionLogProbability(prompt: prompt, completion: completion)
        #expect(total.shape == [])
        #expect(Swift.abs(Double(total.scalar) - expected.reduce(0, +)) < 1e-4)
    }

    @Test func gradientsReachOnlyTheAdaptersAndMatchFiniteDifferences() throws {
        let model = try LlamaSyntheticModel.model()
        let adapted = LlamaAdapterModel(model: model, rank: 4, alpha: 8, seed: 11)
        Self.perturbUp(adapted)
        let (prompt, completion): ([Int32], [Int32]) = ([3, 17, 5, 21], [9, 0, 31])
        let objective = {
            try adapted.completionLogProbability(prompt: prompt, completion: completion)
        }
        adapted.zeroGradients()
        try objective().backward()
        for (name, parameter) in adapted.namedParameters() {
            let gradient = try #require(parameter.gradient, "\(name) has no gradient")
            #expect(gradient.scalars.contains { $0 != 0 }, "\(name)'s gradient is zero")
        }
        let weights = model.weights
        let frozen =
            [weights.tokenEmbedding, weights.output]
            + weights.layers.flatMap { [$0.queryKeyValue, $0.attentionOutput, $0.gateUp, $0.down] }
        #expect(frozen.allSatisfy { !$0.requiresGradient && $0.gradient == nil })
        #expect(adapted.layers.compactMap(\.queryKeyValue).allSatisfy { $0.weight.gradient == nil })

        for parameter in [
            try #require(adapted.layers[0].queryKeyValue).down,
            try #require(adapted.layers[1].gateUp).up,
        ] {
            let index = 5
            let analytic = try #require(parameter.gradient).scalars[index]
            let original = parameter.scalars[index]
            let step: Float = 1e-2
            func value(at entry: Float) throws -> Float {
                parameter.withUnsafeMutableBufferPointer { $0[index] = entry }
                return try withoutGradients { try objective().scalar }
            }
            let numeric =
                (try value(at: original + step) - (try value(at: original - step))) / (2 * step)
            _ = try value(at: original)
            #expect(
                Swift.abs(numeric - analytic) <= 2e-3 + 2e-2 * Swift.abs(analytic),
                "finite difference \(numeric) vs \(analytic)")
        }
    }

    @Test func adaptersSaveAndLoadIntoAFreshModel() throws {
        let model = try LlamaSyntheticModel.model()
        let adapted = LlamaAdapterModel(model: model, seed: 1)
        let training = SupervisedFineTuning(model: adapted, learningRate: 1e-2)
        try training.step([.init(prompt: [1, 2, 3], completion: [4, 5])])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "funnel-lora-\(UUID().uuidString).safetensors"
        ).path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try adapted.saveParameters(to: file)
        let fresh = LlamaAdapterModel(model: model, seed: 99)
        let tokens: [Int32] = [7, 1, 2, 3, 4, 5]
        #expect(try fresh.logits(tokens: tokens).scalars != adapted.logits(tokens: tokens).scalars)
        try fresh.loadParameters(from: file)
        #expect(try fresh.logits(tokens: tokens).scalars == adapted.logits(tokens: tokens).scalars)
    }

    @Test(.needsLanguageModels) func zeroAdaptersGiveSmolLM2sLogits() throws {
        let model = try SharedLlamaModel.get()
        let adapted = LlamaAdapterModel(model: model)
        let tokens: [Int32] = [504, 3575, 282, 4649, 314, 7042, 30, 378]
        var cache = model.makeCache()
        let expected = try model.allLogits(forTokens: tokens, cache: &cache)
        let logits = try withoutGradients { try adapted.logits(tokens: tokens) }
        #expect(logits.shape == [tokens.count, model.configuration.vocabularySize])
        #expect(Self.relativeError(logits.scalars, expected) < 1e-4)
        // r · (in + out) of the stacked q/k/v, attention output, gate/up and down adapters.
        #expect(
            adapted.parameterCount == 30 * 8
                * ((576 + 960) + (576 + 576) + (576 + 2 * 1536) + (1536 + 576)))
    }
}
