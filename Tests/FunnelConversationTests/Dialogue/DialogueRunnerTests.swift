import FunnelLanguage
import Testing

@testable import FunnelConversation

@Suite struct DialogueRunnerTests {
    /// A simulator that answers every role sensibly; `response` is its user message.
    static func simulator(response: @escaping (ScriptedBackend.Call) -> String = { _ in #"{"response": "something animated please"}"# }, policy: String = "respond_to_clarification") -> ScriptedBackend {
        ScriptedBackend { call in
            let task = call.prompt
            if task.contains("Choose what you do next") { return #"{"reason": "r", "policy": "\#(policy)"}"# }
            if task.contains("Start from 5 and deduct") { return #"{"reason": "too vague", "flexibility": 1, "coherence": 0, "guidance": 1}"# }
            if task.contains("as a recommendation") { return #"{"reason": "r", "rating": 0}"# }
            if task.contains("strategy") { return #"{"reason": "r", "rating": 3}"# }
            return response(call)
        }
    }

    func runner(_ simulator: ScriptedBackend, rounds: Int = 5) -> DialogueRunner {
        DialogueRunner(simulator: UserSimulator(chat: StructuredChat(backend: simulator.role(), attempts: 3)), rounds: rounds)
    }

    func agent(_ replies: [String]) -> ConversationalAgent {
        ConversationalAgent(
            name: "base", backend: ScriptedBackend(replies: replies).role(), retriever: ConversationFixtures.retriever(),
            includesFewShot: true, constrainsActions: false)
    }

    /// Five rounds at most (round 0 included), every agent turn rated; success when the target's
    /// title reaches the user, recall when a search returned it.
    @Test func roundLimitSuccessAndRecall() throws {
        let record = try runner(Self.simulator()).run(
            agent: agent(["Search[toys]", "Recommend[Toy Story (1995)]", "Ask[Anything else?]"]),
            persona: ConversationFixtures.persona, target: ConversationFixtures.toyStory)
        #expect(record.turns.count == 5)
        #expect(record.ending == .roundLimit)
        #expect(record.success)
        #expect(record.recall)
        #expect(record.turns.allSatisfy { $0.ratings?.expression == 3 })
        #expect(record.turns[0].userPolicy == "ask_recommendation")
        #expect(record.turns[1].userPolicy == "respond_to_clarification")
        #expect(record.id == "base/test-0001")
    }

    @Test func theUserEndsTheConversation() throws {
        let record = try runner(Self.simulator(policy: "end_conversation")).run(
            agent: agent(["Ask[Which genre?]"]), persona: ConversationFixtures.persona, target: ConversationFixtures.toyStory)
        #expect(record.turns.count == 1)
        #expect(record.ending == .userEnded)
        #expect(!record.success)
        #expect(!record.recall)
        // Opening, three ratings and the policy: five simulator calls, one agent call.
        #expect(record.calls.values.reduce(0) { $0 + $1.calls } == 6)
        #expect(record.calls["agent"]?.calls == 1)
    }

    /// §2.3: a user message naming the target is retried; accepted once it stops naming it.
    @Test func aLeakIsRetried() throws {
        let queue = ReplyQueue([#"{"response": "I want Toy Story"}"#, #"{"response": "a film about toys"}"#])
        let simulator = Self.simulator(response: { _ in queue.next() }, policy: "end_conversation")
        let record = try runner(simulator).run(
            agent: agent(["Ask[Which genre?]"]), persona: ConversationFixtures.persona, target: ConversationFixtures.toyStory)
        #expect(record.turns[0].userMessage == "a film about toys")
        #expect(record.ending == .userEnded)
    }

    /// A user who names the target on every attempt: the dialogue is dropped (aborted), not the
    /// run, and counts as a failure even if the agent had found the title.
    @Test func aPersistentLeakAbortsTheDialogue() throws {
        let simulator = Self.simulator(response: { call in
            call.prompt.contains("Write your first message") ? #"{"response": "something animated"}"# : #"{"response": "is it toy story?"}"#
        })
        let record = try runner(simulator).run(
            agent: agent(["Recommend[Toy Story (1995)]"]), persona: ConversationFixtures.persona, target: ConversationFixtures.toyStory)
        #expect(record.ending == .aborted)
        #expect(!record.success)
        #expect(record.turns.count == 1)
        #expect(record.abortReason?.contains("dialogue base/test-0001, turn 1, simulator.response, field \"response\"") == true)
    }

    /// A simulator reply that stays outside its schema drops the dialogue with the reason (a
    /// seeded rerun would fail the same way), instead of stopping the run.
    @Test func aReplyThatStaysInvalidAbortsTheDialogue() throws {
        let simulator = Self.simulator(response: { call in
            call.prompt.contains("Write your first message") ? #"{"response": "something animated"}"# : #"{"response": "#
        })
        let record = try runner(simulator).run(
            agent: agent(["Ask[Which genre?]"]), persona: ConversationFixtures.persona, target: ConversationFixtures.toyStory)
        #expect(record.ending == .aborted)
        #expect(record.turns.count == 1)
        #expect(record.abortReason?.hasPrefix("dialogue base/test-0001, turn 1, simulator.response: expected a JSON object") == true)
    }

    @Test func leakageFormsOfATitle() {
        #expect(TitleMatching.mentions("I loved the matrix!", title: "Matrix, The (1999)"))
        #expect(TitleMatching.mentions("maybe Toy Story", title: "Toy Story (1995)"))
        #expect(!TitleMatching.mentions("a movie about toys", title: "Toy Story (1995)"))
        #expect(!TitleMatching.mentions("what's up", title: "Up (2009)"))
        #expect(TitleMatching.contains("I recommend TOY STORY (1995).", title: "Toy Story (1995)"))
        #expect(!TitleMatching.contains("I recommend Toy Story.", title: "Toy Story (1995)"))
    }

    /// The simulator's prompts carry the persona and the hidden target with the instruction never
    /// to name it.
    @Test func simulatorPromptsCarryThePersonaAndTarget() throws {
        let simulator = Self.simulator(policy: "end_conversation")
        _ = try runner(simulator).run(
            agent: agent(["Ask[Which genre?]"]), persona: ConversationFixtures.persona, target: ConversationFixtures.toyStory)
        let opening = simulator.calls[0].prompt
        #expect(opening.contains("The movie you are secretly looking for: Toy Story (1995)"))
        #expect(opening.contains("Never say its title"))
        #expect(opening.contains(SimulatorPrompts.behaviourGuidance(.efficiencySeeking)))
        #expect(simulator.calls.allSatisfy { if case .jsonSchema = $0.format { return true } else { return false } })
    }
}
