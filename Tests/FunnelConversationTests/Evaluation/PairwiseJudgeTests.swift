import Testing

@testable import FunnelConversation

@Suite struct PairwiseJudgeTests {
    func record(_ agent: String, action: String) -> DialogueRecord {
        DialogueRecord(
            id: "\(agent)/p", agent: agent, personaId: "p", targetId: "1", targetTitle: "T",
            turns: [DialogueTurn(index: 0, userMessage: "hello", userPolicy: "ask_recommendation", agentSteps: [], agentAction: action, ratings: nil)],
            success: false, recall: false, ending: .userEnded, abortReason: nil, calls: [:], seconds: 0)
    }

    /// The expert against itself scores 0.5 without asking the judge.
    @Test func identicalDialoguesTie() throws {
        let backend = ScriptedBackend(replies: ["never called"])
        let verdict = try PairwiseJudge(chat: StructuredChat(backend: backend.role())).judge(
            candidate: record("base", action: "Ask[x]"), expert: record("expert", action: "Ask[x]"))
        #expect(verdict.winRate == 0.5)
        #expect(backend.calls.isEmpty)
    }

    /// Both orders are asked; a judge that always prefers the first dialogue gives 0.5, one that
    /// prefers the candidate in both orders gives 1.
    @Test func bothOrdersCancelPositionBias() throws {
        let first = ScriptedBackend(replies: [#"{"reason": "r", "flexibility": "A", "coherence": "A", "guidance": "A"}"#])
        let biased = try PairwiseJudge(chat: StructuredChat(backend: first.role())).judge(
            candidate: record("ecpo", action: "Ask[Which genre?]"), expert: record("expert", action: "Ask[x]"))
        #expect(first.calls.count == 2)
        #expect(first.calls[0].prompt.contains("Dialogue A:\nUser: hello\nAssistant: Which genre?"))
        #expect(first.calls[1].prompt.contains("Dialogue A:\nUser: hello\nAssistant: x"))
        #expect(biased.winRate == 0.5)
        let fair = ScriptedBackend { call in
            call.prompt.contains("Dialogue A:\nUser: hello\nAssistant: Which genre?")
                ? #"{"reason": "r", "flexibility": "A", "coherence": "A", "guidance": "tie"}"#
                : #"{"reason": "r", "flexibility": "B", "coherence": "B", "guidance": "tie"}"#
        }
        let verdict = try PairwiseJudge(chat: StructuredChat(backend: fair.role())).judge(
            candidate: record("ecpo", action: "Ask[Which genre?]"), expert: record("expert", action: "Ask[x]"))
        #expect(verdict.scores == ["flexibility": 1, "coherence": 1, "guidance": 0.5])
        #expect(abs(verdict.winRate - 2.5 / 3) < 1e-12)
    }
}
