import Foundation

/// One agent action within a turn (conversational.md §2.2, §3 stage 2): the state `s_t` the
/// agent saw, what it emitted `p_t`, and the search observation when it searched.
public struct AgentStep: Codable, Sendable, Equatable {
    /// The prompt the agent was given (the few-shot block included when the agent uses one).
    public var prompt: String
    /// The same prompt with the few-shot block removed: the input of SGPT's and ECPO's
    /// training examples (§3 stage 1, §7 "keep prompts identical between pair construction and
    /// DPO").
    public var trainingPrompt: String
    /// The action text of the last attempt, valid or not.
    public var output: String
    /// The action's kind (`Ask`, `Recommend`, `Response`, `Search`), `nil` when invalid.
    public var kind: String?
    /// What `Search[…]` returned, as the agent read it.
    public var observation: String?
    /// The ids of the items a search returned, best first.
    public var retrievedIds: [String]?
    /// How many samples the step took (retries at rising temperature included).
    public var attempts: Int
}

/// The three ratings AILO gives an agent turn (§2.3): recommendation and strategy `0…5`
/// (0: no recommendation / no discernible strategy, skipped in averages), and the expression
/// rating — expectation confirmation — `e_t = 5 − (flexibility + coherence + guidance)`
/// deductions, with the reason that names the flaws.
public struct TurnRatings: Codable, Sendable, Equatable {
    public var recommendation: Int
    public var recommendationReason: String
    public var strategy: Int
    public var strategyReason: String
    /// Deductions: flexibility `0…2`, coherence `0…2`, user guidance `0…1`.
    public var flexibilityDeduction: Int
    public var coherenceDeduction: Int
    public var guidanceDeduction: Int
    public var expressionReason: String

    /// The satisfaction `e_t` ("exp_reward" in the released code), `0…5`.
    public var expression: Int { 5 - flexibilityDeduction - coherenceDeduction - guidanceDeduction }
}

/// One round: the user's message, the agent's steps and visible reply, the simulator's
/// ratings of that reply, and the policy the simulator chose next.
public struct DialogueTurn: Codable, Sendable, Equatable {
    public var index: Int
    /// What the user said this round (turn 0: the opening request).
    public var userMessage: String
    /// The policy that produced ``userMessage`` (`ask_recommendation` at turn 0).
    public var userPolicy: String
    public var agentSteps: [AgentStep]
    /// The action the user saw (the turn's last valid non-search action, or the fallback).
    public var agentAction: String
    public var ratings: TurnRatings?
}

/// How a dialogue ended.
public enum DialogueEnding: String, Codable, Sendable {
    /// The simulator chose `end_conversation`.
    case userEnded = "user-ended"
    /// `conversation_rounds` rounds were played.
    case roundLimit = "round-limit"
    /// The simulator kept naming the target (the leakage check) or kept replying outside its
    /// schema, so the dialogue was dropped as the released code drops it.
    case aborted
}

/// A whole dialogue between an agent and the simulator, with its outcome (§4): success (the
/// target's title in an agent reply), recall (the target in a search's top 5), and its cost.
public struct DialogueRecord: Codable, Sendable, Equatable {
    /// `"<agent>/<persona id>"`.
    public var id: String
    public var agent: String
    public var personaId: String
    public var targetId: String
    public var targetTitle: String
    public var turns: [DialogueTurn]
    public var success: Bool
    public var recall: Bool
    public var ending: DialogueEnding
    public var abortReason: String?
    /// Calls and model seconds by role.
    public var calls: [String: CallLedger.Entry]
    /// Wall seconds of the whole dialogue.
    public var seconds: Double

    /// Every turn's ratings, in order (turns without ratings left out).
    public var ratings: [TurnRatings] { turns.compactMap(\.ratings) }
}
