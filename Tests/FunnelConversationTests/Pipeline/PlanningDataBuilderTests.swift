import Testing

@testable import FunnelConversation

@Suite struct PlanningDataBuilderTests {
    func record(success: Bool, outputs: [String]) -> DialogueRecord {
        let steps = outputs.map {
            AgentStep(prompt: "few-shot + state \($0)", trainingPrompt: "state \($0)", output: $0, kind: $0.hasPrefix("Ask[") || $0.hasPrefix("Search[") ? String($0.prefix { $0 != "[" }) : nil, attempts: 1)
        }
        return DialogueRecord(
            id: "expert/train-\(success)", agent: "expert", personaId: "p", targetId: "1", targetTitle: "T",
            turns: [DialogueTurn(index: 0, userMessage: "u", userPolicy: "ask_recommendation", agentSteps: steps, agentAction: "Ask[x]", ratings: nil)],
            success: success, recall: false, ending: .userEnded, abortReason: nil, calls: [:], seconds: 0)
    }

    /// §3 stage 1: only successful dialogues; every valid step, its prompt without the few-shot
    /// block, the action as output, the system prompt "You are a helpful assistant".
    @Test func successfulDialoguesOnlyWithoutFewShot() {
        let records = PlanningDataBuilder.records(from: [
            record(success: true, outputs: ["Search[toys]", "broken", "Ask[Which?]"]),
            record(success: false, outputs: ["Ask[No]"]),
        ])
        #expect(records.map(\.output) == ["Search[toys]", "Ask[Which?]"])
        #expect(records.map(\.instruction) == ["state Search[toys]", "state Ask[Which?]"])
        #expect(records.allSatisfy { $0.system == "You are a helpful assistant." && $0.input.isEmpty })
        #expect(records.map(\.source) == ["expert/train-true#0.0", "expert/train-true#0.2"])
    }
}
