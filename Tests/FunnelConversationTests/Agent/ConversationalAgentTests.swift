import FunnelLanguage
import Testing

@testable import FunnelConversation

@Suite struct ConversationalAgentTests {
    func agent(_ backend: ScriptedBackend, constrained: Bool = false, steps: Int = 4) -> ConversationalAgent {
        ConversationalAgent(
            name: "base", backend: backend.role(), retriever: ConversationFixtures.retriever(), includesFewShot: true,
            constrainsActions: constrained, maximumStepsPerTurn: steps)
    }

    /// Search shows the top results and the agent acts again; Recommend ends the turn.
    @Test func searchThenRecommend() throws {
        let backend = ScriptedBackend(replies: ["Search[animated toys]", "Recommend[Toy Story (1995)]"])
        var scratchpad = ["User: something animated"]
        let (steps, action) = try agent(backend).turn(scratchpad: &scratchpad, dialogue: "d", turn: 0)
        #expect(action == "Recommend[Toy Story (1995)]")
        #expect(steps.map(\.kind) == ["Search", "Recommend"])
        #expect(steps[0].retrievedIds?.first == "1")
        #expect(steps[0].observation?.contains("Toy Story (1995)") == true)
        #expect(scratchpad[1] == "Search[animated toys]")
        #expect(scratchpad[2].hasPrefix("Observation: "))
        #expect(scratchpad.last == "Recommend[Toy Story (1995)]")
        #expect(steps[1].prompt.contains("Observation: "))
        #expect(steps[1].trainingPrompt == AgentPrompt().text(scratchpad: Array(scratchpad.prefix(3)), includesFewShot: false))
        // §2.2: greedy, stop at "]" (kept), free text unless constrained.
        #expect(backend.calls[0].options.stopSequences == ["]"])
        #expect(backend.calls[0].options.includesStopSequence)
        #expect(backend.calls[0].format == .text)
        #expect(backend.calls[0].messages.first?.content == AgentPrompt.systemMessage)
    }

    /// An invalid action is retried at temperatures 0, 0.3, 0.6; then "Invalid Action" goes on
    /// the scratchpad and the agent acts again.
    @Test func invalidActionsAreRetriedThenReported() throws {
        let backend = ScriptedBackend(replies: ["I think you would like", "Ask about genre", "Ask[[x]]", "Ask[Which genre?]"])
        var scratchpad = ["User: hi"]
        let (steps, action) = try agent(backend).turn(scratchpad: &scratchpad, dialogue: "d", turn: 0)
        #expect(backend.calls.map(\.options.temperature) == [0, 0.3, 0.6, 0])
        #expect(steps.count == 2)
        #expect(steps[0].kind == nil)
        #expect(steps[0].attempts == 3)
        #expect(scratchpad[1].hasPrefix("Invalid Action: \"Ask[[x]]\""))
        #expect(action == "Ask[Which genre?]")
    }

    @Test func aTurnOfOnlySearchesEndsWithTheFallback() throws {
        let backend = ScriptedBackend(replies: ["Search[a]"])
        var scratchpad = ["User: hi"]
        let (steps, action) = try agent(backend, steps: 2).turn(scratchpad: &scratchpad, dialogue: "d", turn: 0)
        #expect(steps.count == 2)
        #expect(action == ConversationalAgent.fallbackAction)
        #expect(scratchpad.last == ConversationalAgent.fallbackAction)
    }

    @Test func constrainedAgentsAskForTheActionGrammar() throws {
        let backend = ScriptedBackend(replies: ["Ask[Which genre?]"])
        var scratchpad = ["User: hi"]
        _ = try agent(backend, constrained: true).turn(scratchpad: &scratchpad, dialogue: "d", turn: 0)
        #expect(backend.calls[0].format == .pattern(ActionGrammar.pattern))
    }

    @Test func visibleText() {
        #expect(ConversationalAgent.visibleText(of: "Recommend[Heat (1995)]") == "I recommend Heat (1995).")
        #expect(ConversationalAgent.visibleText(of: "Ask[Which genre?]") == "Which genre?")
    }
}
