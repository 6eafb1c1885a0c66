import Foundation
import FunnelLanguage

/// ECPO's backward expectation derivation (conversational.md §3 stages 2–3, §5.3): every agent
/// step of a turn whose satisfaction `e_t` is below `λ` (search steps inherit their turn's
/// rating) is sent to the rewriter with the dialogue state, the original action and the
/// simulator's reason; a refinement is kept only when the JSON parses, the refinement is one
/// valid action of the same kind, and it differs from the original. Only turn `t` changes:
/// later turns are never regenerated (§7).
public struct PreferencePairBuilder: Sendable {
    /// The satisfaction threshold: turns with `e_t < λ` are rewritten (the released scripts
    /// build λ ∈ {2, 3, 4, 5}; [ASSUMED] 4 by default).
    public var threshold: Int

    /// The rewriter's role name in the ledger.
    public static let role = "rewriter"

    public init(threshold: Int = 4) {
        self.threshold = threshold
    }

    /// Whether a turn of satisfaction `satisfaction` is rewritten (§8: `e_t = 3` is selected
    /// for λ = 4 and 5, not for λ = 3).
    public func selects(satisfaction: Int) -> Bool { satisfaction < threshold }

    /// Why a refinement was dropped, or `nil` when it is kept (§8: `Ask[Which genre?]` is
    /// valid; `Ask Which genre?` and `Ask[[x]]` are not; an identical refinement is dropped).
    public static func problem(refinement: String, original: String) -> String? {
        guard let refined = ActionGrammar.parse(refinement) else { return "not one valid action" }
        if refinement == original { return "identical to the original" }
        if let kind = ActionGrammar.parse(original)?.kind, kind != refined.kind {
            return "changes the action type from \(kind.rawValue) to \(refined.kind.rawValue)"
        }
        return nil
    }

    /// The rewrite request for one step (the state, the action, the simulator's reason).
    public static func rewriteMessages(state: String, original: String, ratings: TurnRatings) -> [ChatMessage] {
        let kind = ActionGrammar.parse(original)?.kind.rawValue ?? "the same"
        let task = """
            Here is the state of a conversation between a movie recommendation assistant and a user, the assistant's action, and the user's feedback on its flaws.

            State:
            \(state)

            Action: \(original)
            Feedback (satisfaction \(ratings.expression) of 5; deductions: flexibility \(ratings.flexibilityDeduction), coherence \(ratings.coherenceDeduction), guidance \(ratings.guidanceDeduction)): \(ratings.expressionReason)

            Rewrite the action to fix these flaws: adapt to what the user said, stay coherent with the conversation, and guide the user forward. Keep the action type \(kind) (a Search may change its keywords only) and use full movie titles. Reply as {"reason": "...", "refinement": "\(kind)[...]"}.
            """
        return [
            ChatMessage(role: "system", content: "You improve one action of a movie recommendation assistant. Answer in JSON only."),
            ChatMessage(role: "user", content: task),
        ]
    }

    /// What happened to the steps considered.
    public struct Statistics: Codable, Sendable, Equatable {
        public var steps = 0
        public var selected = 0
        public var kept = 0
        /// Dropped, by reason (`invalid JSON`, `not one valid action`, …).
        public var dropped: [String: Int] = [:]
    }

    /// The preference records of `dialogues` (stage 2's rollouts) and what was dropped, asking
    /// `rewriter` (one call per selected step, no retry: a failed rewrite is dropped as the
    /// released filter drops it).
    public func pairs(
        from dialogues: [DialogueRecord], rewriter: StructuredChat, reasonLength: Int = 160, refinementLength: Int = 200
    ) throws -> (records: [PreferenceRecord], statistics: Statistics) {
        var statistics = Statistics()
        var records: [PreferenceRecord] = []
        let schema = ReplySchema([
            .init("reason", .text(maximumLength: reasonLength)), .init("refinement", .text(maximumLength: refinementLength)),
        ])
        var single = rewriter
        single.attempts = 1
        for dialogue in dialogues {
            for turn in dialogue.turns {
                guard let ratings = turn.ratings else { continue }
                for (index, step) in turn.agentSteps.enumerated() where step.kind != nil {
                    statistics.steps += 1
                    guard selects(satisfaction: ratings.expression) else { continue }
                    statistics.selected += 1
                    let source = "\(dialogue.id)#\(turn.index).\(index)"
                    let reply: StructuredReply
                    do {
                        reply = try single.request(
                            role: Self.role,
                            messages: Self.rewriteMessages(state: step.trainingPrompt, original: step.output, ratings: ratings),
                            schema: schema, dialogue: dialogue.id, turn: turn.index
                        ).reply
                    } catch is ConversationError {
                        statistics.dropped["invalid JSON", default: 0] += 1
                        continue
                    }
                    let refinement = (reply.texts["refinement"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                    if let problem = Self.problem(refinement: refinement, original: step.output) {
                        statistics.dropped[problem.hasPrefix("changes") ? "changes the action type" : problem, default: 0] += 1
                        continue
                    }
                    statistics.kept += 1
                    records.append(
                        PreferenceRecord(
                            instruction: step.trainingPrompt, input: "", chosen: refinement, rejected: step.output,
                            system: AgentPrompt.systemMessage, source: source, satisfaction: ratings.expression,
                            satisfactionReason: ratings.expressionReason, rewriteReason: reply.texts["reason"] ?? ""))
                }
            }
        }
        return (records, statistics)
    }
}
