import Foundation
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelLanguage

/// `SupervisedFineTuning` and `DirectPreferenceTraining` of LoRA adapters: a few steps move the
/// model the way the objective says, DPO starts at ln 2, and runs repeat bit for bit.
@Suite struct LlamaAdapterTrainingTests {
    static let example = SupervisedFineTuning.Example(
        prompt: [3, 17, 5], completion: [9, 0, 31, 9])

    @Test func supervisedStepsRaiseTheCompletionLogProbability() throws {
        let model = try LlamaSyntheticModel.model()
        let adapted = LlamaAdapterModel(model: model, seed: 5)
        let training = SupervisedFineTuning(model: adapted, learningRate: 1e-2)
        let before = try model.logProbability(
            prompt: Self.example.prompt, completion: Self.example.completion)
        var losses: [Float] = []
        for _ in 0..<5 { losses.append(try training.step([Self.example])) }
        let after = try withoutGradients {
            try adapted.completionLogProbability(
                prompt: Self.example.prompt, completion: Self.example.completion)
        }
        // The first loss is the mean NLL of the unadapted model over the 4 completion tokens.
        #expect(Swift.abs(Double(losses[0]) + before / 4) < 1e-4)
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $0 > $1 }, "losses \(losses)")
        #expect(Double(after.scalar) > before + 0.5, "log p \(before) → \(after.scalar)")
        #expect(training.optimizer.stepCount == 5)
    }

    @Test func theLossIgnoresPromptTokensAndAveragesOverCompletionTokens() throws {
        let adapted = LlamaAdapterModel(model: try LlamaSyntheticModel.model(), seed: 2)
        let training = SupervisedFineTuning(model: adapted)
        let other = SupervisedFineTuning.Example(prompt: [1], completion: [2, 3])
        let first = try adapted.completionLogProbability(
            prompt: Self.example.prompt, completion: Self.example.completion
        ).scalar
        let second = try adapted.completionLogProbability(
            prompt: other.prompt, completion: other.completion
        ).scalar
        let loss = try training.loss([Self.example, other]).scalar
        #expect(Swift.abs(loss + (first + second) / 6) < 1e-5)
        #expect(throws: LlamaModel.InputError.self) { try training.loss([]) }
    }

    @Test func trainingRepeatsBitForBitForASeedAndThreadCount() throws {
        let model = try LlamaSyntheticModel.model()
        func run() throws -> [Float] {
            let training = SupervisedFineTuning(
                model: LlamaAdapterModel(model: model, seed: 9), learningRate: 1e-2)
            return try (0..<3).map { _ in try training.step([Self.example]) }
        }
        #expect(try run() == run())
        #expect(try Compute.withThreads(2) { try run() } == Compute.withThreads(2) { try run() })
    }

    @Test func preferenceStepsStartAtLn2AndWidenTheMargin() throws {
        let model = try LlamaSyntheticModel.model()
        let policy = LlamaAdapterModel(model: model, seed: 4)
        let training = DirectPreferenceTraining(
            policy: policy, reference: model, beta: 0.5, learningRate: 1e-2)
        let pairs = [
            DirectPreferenceTraining.Pair(
                prompt: [3, 17, 5], chosen: [9, 0, 31], rejected: [2, 2, 14]),
            DirectPreferenceTraining.Pair(
                prompt: [8, 1], chosen: [30, 6], rejected: [11, 19, 4]),
        ]
        var evaluations: [DirectPreferenceOptimisation.Evaluation] = []
        for _ in 0..<6 { evaluations.append(try training.step(pairs)) }
        #expect(Swift.abs(evaluations[0].loss - Foundation.log(2)) < 1e-4)
        #expect(Swift.abs(evaluations[0].margin) < 1e-4)
        let last = try training.loss(pairs).evaluation
        #expect(
            last.margin > 0.1 && last.loss < Foundation.log(2) - 0.03,
            "margin \(last.margin), loss \(last.loss)")
        #expect(last.accuracy == 1)
        #expect(
            zip(evaluations.dropFirst(), evaluations.dropFirst(2)).allSatisfy {
                $0.margin < $1.margin
            })
    }

    @Test(.needsLanguageModels) func smolLM2sFreshPolicyHasTheLn2PreferenceLoss() throws {
        let model = try SharedLlamaModel.get()
        let training = DirectPreferenceTraining(
            policy: LlamaAdapterModel(model: model), reference: model)
        let pair = DirectPreferenceTraining.Pair(
            prompt: [504, 3575, 282], chosen: [4649, 314, 7042], rejected: [30, 378, 1092, 11])
        let (loss, evaluation) = try withoutGradients { try training.loss([pair]) }
        #expect(Swift.abs(Double(loss.scalar) - Foundation.log(2)) < 1e-4)
        #expect(
            Swift.abs(evaluation.loss - Foundation.log(2)) < 1e-4
                && Swift.abs(evaluation.margin) < 1e-3)
    }

    @Test(.needsLanguageModels) func supervisedStepsRaiseSmolLM2sCompletionLogProbability() throws {
        let model = try SharedLlamaModel.get()
        let adapted = LlamaAdapterModel(model: model)
        let training = SupervisedFineTuning(model: adapted, learningRate: 1e-3)
        let example = SupervisedFineTuning.Example(
            prompt: [504, 3575, 282], completion: [4649, 314, 7042])
        let before = try model.logProbability(
            prompt: example.prompt, completion: example.completion)
        var losses: [Float] = []
        for _ in 0..<3 { losses.append(try training.step([example])) }
        let after = try withoutGradients {
            try adapted.completionLogProbability(
                prompt: example.prompt, completion: example.completion)
        }
        #expect(Swift.abs(Double(losses[0]) + before / 3) < 1e-3)
        #expect(Double(after.scalar) > before, "log p \(before) → \(after.scalar)")
    }
}
