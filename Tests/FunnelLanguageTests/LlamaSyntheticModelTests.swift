import Foundation
import FunnelTensor
import Testing
@testable import FunnelLanguage

/// Invariants of the llama forward pass that need no model file, on ``LlamaSyntheticModel``.
struct LlamaSyntheticModelTests {
    @Test func rmsNormOfAConstantVectorIsTheWeightTimesItsSign() {
        let weight: [Float] = [1, 2, -0.5, 3, 0.25, 1, 1, 4]
        for constant: Float in [3, -0.75, 1e-3] {
            let output = LlamaKernels.rmsNormalized([Float](repeating: constant, count: 8), weight: weight, epsilon: 1e-5)
            let scale = constant / (constant * constant + 1e-5).squareRoot()
            for (value, gain) in zip(output, weight) {
                #expect(abs(value - scale * gain) <= 1e-5 * abs(gain), "\(constant): \(value) vs \(scale * gain)")
            }
        }
        #expect(LlamaKernels.rmsNormalized([0, 0], weight: [1, 1], epsilon: 1e-5) == [0, 0])
    }

    @Test func ropeAtPositionZeroIsTheIdentity() {
        let tables = LlamaKernels.rotaryTables(positions: 0..<1, headDimension: 8, base: 10_000)
        var vector: [Float] = [0.5, -1, 2, 3, -4, 0.25, 7, -0.125, 1, 2, 3, 4, 5, 6, 7, 8]
        let original = vector
        vector.withUnsafeMutableBufferPointer { vector in
            LlamaKernels.rotate(vector.baseAddress!, heads: 2, headDimension: 8, cosines: tables.cosines, sines: tables.sines)
        }
        #expect(vector == original)
    }

    @Test func ropeTurnsAdjacentPairsAndScoresDependOnlyOnTheDistance() {
        let dimension = 8
        let base: Float = 10_000
        func rotated(_ vector: [Float], at position: Int) -> [Float] {
            let tables = LlamaKernels.rotaryTables(positions: position..<(position + 1), headDimension: dimension, base: base)
            var copy = vector
            copy.withUnsafeMutableBufferPointer { copy in
                LlamaKernels.rotate(copy.baseAddress!, heads: 1, headDimension: dimension, cosines: tables.cosines, sines: tables.sines)
            }
            return copy
        }
        // Pair 0 turns by the position itself (θ₀ = 1): (1, 0) at position 3 → (cos 3, sin 3).
        let unit = rotated([1, 0, 0, 0, 0, 0, 0, 0], at: 3)
        #expect(abs(unit[0] - cos(3)) < 1e-6 && abs(unit[1] - sin(3)) < 1e-6)
        // Pair 1 turns by base^(−2/8) per position.
        let second = rotated([0, 0, 1, 0, 0, 0, 0, 0], at: 5)
        let angle = 5 * pow(Double(base), -2.0 / 8)
        #expect(abs(Double(second[2]) - cos(angle)) < 1e-6 && abs(Double(second[3]) - sin(angle)) < 1e-6)
        let query: [Float] = [0.3, -1.2, 0.7, 0.1, -0.4, 2, 1.5, -0.6]
        let key: [Float] = [1.1, 0.2, -0.9, 0.4, 0.8, -1.3, 0.05, 0.6]
        func score(_ queryPosition: Int, _ keyPosition: Int) -> Float {
            zip(rotated(query, at: queryPosition), rotated(key, at: keyPosition)).map(*).reduce(0, +)
        }
        #expect(abs(score(7, 4) - score(3, 0)) < 1e-4)
        #expect(abs(score(12, 12) - zip(query, key).map(*).reduce(0, +)) < 1e-4)
    }

    @Test func laterTokensDoNotChangeEarlierLogits() throws {
        let model = try LlamaSyntheticModel.model()
        var cache = model.makeCache()
        let first = try model.allLogits(forTokens: [3, 5, 7, 9, 11], cache: &cache)
        cache.reset()
        let second = try model.allLogits(forTokens: [3, 5, 7, 30, 2], cache: &cache)
        let vocabulary = LlamaSyntheticModel.vocabulary
        let shared = 3 * vocabulary
        #expect(first.count == 5 * vocabulary)
        for index in 0..<shared {
            #expect(abs(first[index] - second[index]) <= 1e-5, "position \(index / vocabulary), id \(index % vocabulary)")
        }
        #expect(zip(first[shared...], second[shared...]).contains { abs($0 - $1) > 1e-3 })
        // The last row of every position's logits is the last position's logits.
        cache.reset()
        let last = try model.logits(forTokens: [3, 5, 7, 30, 2], cache: &cache)
        #expect(zip(last, second[(4 * vocabulary)...]).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test func theCachedPathMatchesTheFullPass() throws {
        let model = try LlamaSyntheticModel.model()
        let tokens: [Int32] = [1, 4, 9, 16, 25, 31, 0]
        var cache = model.makeCache()
        let full = try model.allLogits(forTokens: tokens, cache: &cache)
        #expect(cache.count == tokens.count)
        cache.reset()
        #expect(cache.count == 0)
        _ = try model.logits(forTokens: Array(tokens.prefix(4)), cache: &cache)
        var steps: [Float] = []
        for token in tokens.dropFirst(4) {
            steps = try model.logits(forTokens: [token], cache: &cache)
        }
        let vocabulary = LlamaSyntheticModel.vocabulary
        let last = Array(full[((tokens.count - 1) * vocabulary)...])
        for (index, (step, whole)) in zip(steps, last).enumerated() {
            #expect(abs(step - whole) <= 1e-5, "id \(index): \(step) vs \(whole)")
        }
        let threaded = try Compute.withThreads(2) { () throws -> [Float] in
            var cache = model.makeCache()
            return try model.logits(forTokens: tokens, cache: &cache)
        }
        #expect(zip(threaded, last).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test func theFileLoaderReadsTheSameModel() throws {
        let path = try LlamaSyntheticModel.file()
        let fromFile = try LlamaModel(file: GGUFFile(path: path))
        #expect(fromFile.configuration == (try LlamaSyntheticModel.configuration()))
        let fromTensors = try LlamaSyntheticModel.model()
        var cache = fromFile.makeCache()
        let expected = try fromFile.logits(forTokens: [2, 7, 1], cache: &cache)
        cache.reset()
        #expect(try fromTensors.logits(forTokens: [2, 7, 1], cache: &cache) == expected)
    }

    @Test func refusesAnotherArchitectureAMissingKeyAndAWrongShape() throws {
        let gpt2 = try LlamaSyntheticModel.file { gguf in
            gguf.metadata[0] = ("general.architecture", .string("gpt2"))
        }
        #expect(languageFileError { _ = try LlamaConfiguration(file: GGUFFile(path: gpt2)) }?.field == "general.architecture")
        let missing = try LlamaSyntheticModel.file { gguf in
            gguf.metadata.removeAll { $0.key == "llama.feed_forward_length" }
        }
        #expect(languageFileError { _ = try LlamaConfiguration(file: GGUFFile(path: missing)) }?.field.contains("llama.feed_forward_length") == true)
        let wrongShape = try LlamaSyntheticModel.file { gguf in
            if let index = gguf.tensors.firstIndex(where: { $0.name == "blk.1.ffn_up.weight" }) {
                gguf.tensors[index].dimensions = [gguf.tensors[index].dimensions[1], gguf.tensors[index].dimensions[0]]
            }
        }
        let shapeError = languageFileError { _ = try LlamaModel(file: GGUFFile(path: wrongShape)) }
        #expect(shapeError?.field == "tensor blk.1.ffn_up.weight: dimensions")
        let noNorm = try LlamaSyntheticModel.file { gguf in gguf.tensors.removeAll { $0.name == "output_norm.weight" } }
        #expect(languageFileError { _ = try LlamaModel(file: GGUFFile(path: noNorm)) }?.field == "tensor output_norm.weight")
    }

    @Test func refusesTokensOutsideTheVocabularyAndAnEmptySequence() throws {
        let model = try LlamaSyntheticModel.model()
        var cache = model.makeCache()
        #expect(throws: LlamaModel.InputError.self) { try model.logits(forTokens: [1, 32], cache: &cache) }
        #expect(throws: LlamaModel.InputError.self) { try model.logits(forTokens: [-1], cache: &cache) }
        #expect(throws: LlamaModel.InputError.self) { try model.logits(forTokens: [], cache: &cache) }
        #expect(cache.count == 0)
    }

    @Test func greedyGenerationFollowsTheArgmaxOfEachStep() throws {
        let model = try LlamaSyntheticModel.model()
        #expect(LlamaModel.argmax([1, 3, 3, -2]) == 1)
        #expect(LlamaModel.argmax([]) == nil)
        let generated = try model.generateGreedy(prompt: [4, 8], maxTokens: 5)
        #expect(generated.count == 5)
        var tokens: [Int32] = [4, 8]
        for token in generated {
            var cache = model.makeCache()
            #expect(LlamaModel.argmax(try model.logits(forTokens: tokens, cache: &cache)) == Int(token))
            tokens.append(token)
        }
        if let first = generated.first {
            #expect(try model.generateGreedy(prompt: [4, 8], maxTokens: 5, stopTokens: [first]).isEmpty)
        }
    }

    @Test func theCacheGrowsTruncatesAndResets() throws {
        let model = try LlamaSyntheticModel.model()
        var cache = model.makeCache()
        #expect(cache.layerCount == 2 && cache.rowWidth == 4 && cache.byteCount == 0)
        let first = try model.logits(forTokens: [5, 6, 7], cache: &cache)
        #expect(cache.count == 3 && cache.keys[1].count == 12 && cache.byteCount == 2 * 2 * 3 * 4 * 4)
        _ = try model.logits(forTokens: [8, 9], cache: &cache)
        cache.truncate(to: 2)
        #expect(cache.count == 2 && cache.values[0].count == 8)
        let again = try model.logits(forTokens: [7], cache: &cache)
        #expect(zip(again, first).allSatisfy { abs($0 - $1) <= 1e-5 })
    }
}
