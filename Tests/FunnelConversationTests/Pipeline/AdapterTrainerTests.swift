import Foundation
import FunnelLanguage
import FunnelTestSupport
import Testing

@testable import FunnelConversation

/// The training stages on the real SmolLM2-135M (short examples: a few seconds each in debug).
@Suite(.serialized) struct AdapterTrainerTests {
    static let records = [
        SupervisedRecord(instruction: "User: a scary film in space\n\nYour next action:", output: "Search[scary space horror]", source: "a"),
        SupervisedRecord(instruction: "User: a funny cartoon\n\nYour next action:", output: "Search[animated comedy]", source: "b"),
    ]

    /// A seeded split: the same seed gives the same split; one example always trains.
    @Test func splitHoldsOutAFractionAndKeepsOneForTraining() {
        let split = AdapterTrainer.split(count: 20, fraction: 0.1, seed: 3)
        #expect(split.validation.count == 2 && split.training.count == 18)
        #expect(Set(split.training + split.validation) == Set(0..<20))
        #expect(AdapterTrainer.split(count: 20, fraction: 0.1, seed: 3) == split)
        #expect(AdapterTrainer.split(count: 1, fraction: 0.5, seed: 0).training == [0])
    }

    /// SGPT: the completion-only loss falls over epochs of the same examples.
    @Test(.needsLanguageModels) func supervisedTuningLowersTheLoss() throws {
        let base = try LanguageModel(path: LanguageModels.smolLM2GGUF)
        let options = AdapterTrainingOptions(learningRate: 1e-3, epochs: 3, accumulation: 2, validationFraction: 0)
        let (_, report) = try AdapterTrainer.supervised(base: base, records: Self.records, options: options)
        #expect(report.optimizerSteps == 3)
        #expect(report.trainingLoss.count == 3)
        #expect(report.trainingLoss[2] < report.trainingLoss[0])
    }

    /// §8 through the stage: policy and reference both start from the same model, so the first
    /// epoch's DPO loss is ln 2 for every pair and the reward accuracy is undecided (0).
    @Test(.needsLanguageModels) func preferenceOptimisationStartsAtLnTwo() throws {
        let reference = try LanguageModel(path: LanguageModels.smolLM2GGUF)
        let pairs = [
            PreferenceRecord(
                instruction: "User: a funny cartoon\n\nYour next action:", input: "", chosen: "Search[animated comedy]",
                rejected: "Ask[Why?]", system: AgentPrompt.systemMessage, source: "a", satisfaction: 2, satisfactionReason: "",
                rewriteReason: "")
        ]
        let options = AdapterTrainingOptions(learningRate: 1e-6, epochs: 1, accumulation: 32, validationFraction: 0)
        let (_, report) = try AdapterTrainer.preference(reference: reference, records: pairs, options: options)
        #expect(abs(report.trainingLoss[0] - 0.693147) < 2e-3)
        #expect(report.optimizerSteps == 1)
    }

    /// The cutoff keeps the completion whole and drops the prompt's oldest tokens.
    @Test(.needsLanguageModels) func cutoffTruncatesThePromptFromTheLeft() throws {
        let model = try LanguageModel(path: LanguageModels.smolLM2GGUF)
        let full = AdapterTrainer.tokens(model: model, instruction: "word " + String(repeating: "long ", count: 100), output: "Ask[x]", cutoff: 4096)
        let cut = AdapterTrainer.tokens(model: model, instruction: "word " + String(repeating: "long ", count: 100), output: "Ask[x]", cutoff: 40)
        #expect(!full.truncated && cut.truncated)
        #expect(cut.completion == full.completion)
        #expect(cut.prompt.count + cut.completion.count == 40)
        #expect(Array(full.prompt.suffix(cut.prompt.count)) == cut.prompt)
    }
}
