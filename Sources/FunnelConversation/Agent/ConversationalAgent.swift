import Foundation
import FunnelLanguage

/// ActCRS, the ReAct-style conversational recommendation agent ECPO optimises
/// (conversational.md §2.2). Each user-facing turn is a loop of actions: `Search[keywords]`
/// adds the retriever's top 5 as an observation and the agent acts again; `Ask`, `Recommend`
/// or `Response` ends the turn and is shown to the user.
///
/// Decoding is greedy with the stop sequence `]` (re-appended); an invalid action is retried at
/// temperature `0.3·j`, and after the last attempt "Invalid Action" is written to the
/// scratchpad and the loop goes on. With ``constrainsActions`` the backend decodes under the
/// action grammar itself (``FunnelLanguage/ActionGrammar``), so every action is valid unless cut
/// by the token limit — [ASSUMED] off in the paper's setting (a large model writes valid actions
/// unaided), needed for a 135M model, which almost never does.
public struct ConversationalAgent: Sendable {
    /// The name a report gives the agent (`base`, `sgpt`, `ecpo`, `expert`).
    public var name: String
    /// The policy model and its ledger.
    public let backend: RoleBackend
    /// The search tool.
    public let retriever: ItemRetriever
    public var prompt: AgentPrompt
    /// Whether the prompt carries the few-shot block (the expert and the base agent do; the
    /// fine-tuned agents were trained without it).
    public var includesFewShot: Bool
    public var constrainsActions: Bool
    /// Samples per action before it counts as invalid (§2.2; [ASSUMED] 3).
    public var attempts: Int
    /// The most actions in one turn before the turn is closed with ``fallbackAction``
    /// ([ASSUMED] 4: up to three searches and an answer).
    public var maximumStepsPerTurn: Int
    /// The most tokens of one action ([ASSUMED] 64).
    public var maximumActionTokens: Int
    /// The run's seed (retries sample).
    public var seed: UInt64

    /// The role name of the agent's calls in the ledger.
    public static let role = "agent"
    /// What the user sees when a turn ran out of steps without a user-facing action.
    public static let fallbackAction = "Response[Sorry, I could not find a good match yet. Could you tell me more about what you want?]"

    public init(
        name: String, backend: RoleBackend, retriever: ItemRetriever, prompt: AgentPrompt = AgentPrompt(),
        includesFewShot: Bool, constrainsActions: Bool, attempts: Int = 3, maximumStepsPerTurn: Int = 4,
        maximumActionTokens: Int = 64, seed: UInt64 = 0
    ) {
        self.name = name
        self.backend = backend
        self.retriever = retriever
        self.prompt = prompt
        self.includesFewShot = includesFewShot
        self.constrainsActions = constrainsActions
        self.attempts = max(attempts, 1)
        self.maximumStepsPerTurn = max(maximumStepsPerTurn, 1)
        self.maximumActionTokens = maximumActionTokens
        self.seed = seed
    }

    /// One user-facing turn after the user's latest message (already on `scratchpad`): the
    /// steps taken and the action shown. Every action and observation is appended to
    /// `scratchpad`.
    public func turn(scratchpad: inout [String], dialogue: String, turn: Int) throws -> (steps: [AgentStep], action: String) {
        var steps: [AgentStep] = []
        for stepIndex in 0..<maximumStepsPerTurn {
            let promptText = prompt.text(scratchpad: scratchpad, includesFewShot: includesFewShot)
            var output = ""
            var action: ActionGrammar.Action?
            var attemptsTaken = 0
            for attempt in 0..<attempts {
                attemptsTaken = attempt + 1
                let options = ActionGrammar.samplingOptions(
                    attempt: attempt, maxTokens: maximumActionTokens,
                    seed: StructuredChat.seed(seed, dialogue, turn * 100 + stepIndex, Self.role, attempt))
                output = try backend.chat(
                    role: Self.role, AgentPrompt.messages(promptText), options: options,
                    format: constrainsActions ? .pattern(ActionGrammar.pattern) : .text
                ).trimmingCharacters(in: .whitespacesAndNewlines)
                action = ActionGrammar.parse(output)
                if action != nil { break }
            }
            var step = AgentStep(
                prompt: promptText, trainingPrompt: prompt.text(scratchpad: scratchpad, includesFewShot: false),
                output: output, kind: action?.kind.rawValue, observation: nil, retrievedIds: nil, attempts: attemptsTaken)
            guard let action else {
                scratchpad.append(
                    "Invalid Action: \(ReplySchema.excerpt(output)). Reply with exactly one of Ask[...], Recommend[...], Response[...] or Search[...].")
                steps.append(step)
                continue
            }
            scratchpad.append(action.text)
            if action.kind == .search {
                let results = retriever.search(action.argument, count: 5)
                let observation = ItemRetriever.observation(results)
                step.observation = observation
                step.retrievedIds = results.map(\.id)
                scratchpad.append("Observation: " + observation)
                steps.append(step)
                continue
            }
            steps.append(step)
            return (steps, action.text)
        }
        scratchpad.append(Self.fallbackAction)
        return (steps, Self.fallbackAction)
    }

    /// What the user reads for an action: the question, the answer, or "I recommend …".
    public static func visibleText(of action: String) -> String {
        guard let parsed = ActionGrammar.parse(action) else { return action }
        switch parsed.kind {
        case .recommend: return "I recommend \(parsed.argument)."
        default: return parsed.argument
        }
    }
}
