import Foundation
import FunnelLanguage
import Testing

@testable import FunnelConversation

@Suite struct PreferencePairBuilderTests {
    /// §8: a turn with e_t = 3 is selected for λ = 4 and λ = 5 but not for λ = 3.
    @Test func thresholdSelectsTurnsBelowLambda() {
        #expect(PreferencePairBuilder(threshold: 4).selects(satisfaction: 3))
        #expect(PreferencePairBuilder(threshold: 5).selects(satisfaction: 3))
        #expect(!PreferencePairBuilder(threshold: 3).selects(satisfaction: 3))
        #expect(PreferencePairBuilder(threshold: 5).selects(satisfaction: 4))
        #expect(!PreferencePairBuilder(threshold: 5).selects(satisfaction: 5))
    }

    /// §8: `Ask[Which genre?]` is valid, `Ask Which genre?` and `Ask[[x]]` are not, and a
    /// refinement identical to the original is dropped.
    @Test func refinementsAreFilteredByGrammarAndIdentity() {
        #expect(PreferencePairBuilder.problem(refinement: "Ask[Which genre?]", original: "Ask[What do you like?]") == nil)
        #expect(PreferencePairBuilder.problem(refinement: "Ask Which genre?", original: "Ask[What do you like?]") == "not one valid action")
        #expect(PreferencePairBuilder.problem(refinement: "Ask[[x]]", original: "Ask[What do you like?]") == "not one valid action")
        #expect(PreferencePairBuilder.problem(refinement: "Ask[Which genre?]", original: "Ask[Which genre?]") == "identical to the original")
        #expect(PreferencePairBuilder.problem(refinement: "Search[space horror]", original: "Search[horror]") == nil)
        #expect(PreferencePairBuilder.problem(refinement: "Ask[Which genre?]", original: "Search[horror]") == "changes the action type from Search to Ask")
    }

    func dialogue() -> DialogueRecord {
        func step(_ output: String) -> AgentStep {
            AgentStep(prompt: "with few-shot", trainingPrompt: "state for \(output)", output: output, kind: ActionGrammar.parse(output)?.kind.rawValue, attempts: 1)
        }
        let turns = [
            DialogueTurn(index: 0, userMessage: "hi", userPolicy: "ask_recommendation", agentSteps: [step("Search[toys]"), step("Ask[Which genre?]")], agentAction: "Ask[Which genre?]", ratings: ConversationFixtures.ratings(expression: 3)),
            DialogueTurn(index: 1, userMessage: "comedy", userPolicy: "respond_to_clarification", agentSteps: [step("Recommend[Toy Story (1995)]")], agentAction: "Recommend[Toy Story (1995)]", ratings: ConversationFixtures.ratings(expression: 5)),
            DialogueTurn(index: 2, userMessage: "more", userPolicy: "provide_feedback_on_recommendation", agentSteps: [step("broken output")], agentAction: ConversationalAgent.fallbackAction, ratings: ConversationFixtures.ratings(expression: 1)),
        ]
        return DialogueRecord(
            id: "sgpt/train-0001", agent: "sgpt", personaId: "train-0001", targetId: "1", targetTitle: "Toy Story (1995)", turns: turns,
            success: true, recall: true, ending: .roundLimit, abortReason: nil, calls: [:], seconds: 0)
    }

    /// Only the steps of turns below λ are sent; search steps inherit the turn's rating; each
    /// kept refinement becomes a (state, chosen = rewrite, rejected = original) record and later
    /// turns are never touched.
    @Test func pairsComeFromTheTurnsBelowLambdaOnly() throws {
        let backend = ScriptedBackend { call in
            if call.prompt.contains("Action: Search[toys]") { return #"{"reason": "more specific", "refinement": "Search[animated toy comedy]"}"# }
            return #"{"reason": "same", "refinement": "Ask[Which genre?]"}"#
        }
        let (records, statistics) = try PreferencePairBuilder(threshold: 4).pairs(
            from: [dialogue()], rewriter: StructuredChat(backend: backend.role(), attempts: 3))
        #expect(backend.calls.count == 2)
        #expect(backend.calls.allSatisfy { $0.options.temperature == 0 })
        #expect(backend.calls[0].prompt.contains("Feedback (satisfaction 3 of 5; deductions: flexibility 2, coherence 0, guidance 0): too generic"))
        #expect(backend.calls[0].prompt.contains("state for Search[toys]"))
        #expect(statistics.steps == 3)
        #expect(statistics.selected == 2)
        #expect(statistics.kept == 1)
        #expect(statistics.dropped == ["identical to the original": 1])
        let record = try #require(records.first)
        #expect(record.instruction == "state for Search[toys]")
        #expect(record.chosen == "Search[animated toy comedy]")
        #expect(record.rejected == "Search[toys]")
        #expect(record.system == AgentPrompt.systemMessage)
        #expect(record.input == "")
        #expect(record.source == "sgpt/train-0001#0.0")
        #expect(record.satisfaction == 3)
        let trl = record.trlLine
        #expect(trl["prompt"]?.last == ["role": "user", "content": "state for Search[toys]"])
        #expect(trl["chosen"] == [["role": "assistant", "content": "Search[animated toy comedy]"]])
    }

    @Test func aRewriteThatIsNotJSONIsDroppedWithoutRetry() throws {
        let backend = ScriptedBackend(replies: ["I would rather say something else"])
        let (records, statistics) = try PreferencePairBuilder(threshold: 5).pairs(
            from: [dialogue()], rewriter: StructuredChat(backend: backend.role(), attempts: 3))
        #expect(records.isEmpty)
        #expect(backend.calls.count == 2)
        #expect(statistics.dropped == ["invalid JSON": 2])
    }

    /// The LLaMA-Factory pairwise keys are exactly those its dataset_info expects.
    @Test func recordsEncodeLLaMAFactoryKeys() throws {
        let record = PreferenceRecord(
            instruction: "s", input: "", chosen: "Ask[b]", rejected: "Ask[a]", system: "sys", source: "x#0.0",
            satisfaction: 2, satisfactionReason: "r", rewriteReason: "w")
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(record)) as? [String: Any]
        for key in ["instruction", "input", "chosen", "rejected", "system"] { #expect(object?[key] != nil) }
        let supervised = try JSONSerialization.jsonObject(with: JSONEncoder().encode(SupervisedRecord(instruction: "s", output: "Ask[b]", source: "x"))) as? [String: Any]
        for key in ["instruction", "input", "output", "system"] { #expect(supervised?[key] != nil) }
    }
}
