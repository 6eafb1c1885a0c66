import Foundation
import FunnelLanguage

/// The instructions AILO's roles are given (conversational.md §2.3), written for Funnel (the
/// released prompts are the authors'; these follow the same structure: persona and hidden
/// target first, then the dialogue, then one JSON task). All five roles share the system
/// message, the persona card and the transcript, and only the task at the end differs, so a
/// prefix-caching backend (``FunnelLanguage/LanguageModel``) computes each turn's shared part
/// once.
public enum SimulatorPrompts {
    /// The roles, as ``CallLedger`` counts them.
    public static let policyRole = "simulator.policy"
    public static let responseRole = "simulator.response"
    public static let recommendationRole = "simulator.recommendation-rating"
    public static let strategyRole = "simulator.strategy-rating"
    public static let expressionRole = "simulator.expression-rating"

    /// How each behaviour trait decides to end (§2.3: efficiency-seeking users end as soon as
    /// the target is matched, exploration-oriented users rarely end at once).
    static func behaviourGuidance(_ behaviour: BehaviourTrait) -> String {
        switch behaviour {
        case .efficiencySeeking:
            return "You want a good match quickly: end the conversation as soon as the assistant recommends your target or something very close."
        case .detailOriented:
            return "You care about details: answer questions precisely and check that a recommendation fits every feature you want."
        case .explorationOriented:
            return "You enjoy exploring: even after a good recommendation you like to hear about alternatives before ending."
        }
    }

    /// The persona and the hidden target, shared by every simulator role.
    static func userCard(persona: Persona, target: CatalogueItem) -> String {
        var lines = [
            "You play a user looking for a movie to watch.",
            "Your taste: \(persona.preferences)",
            "How you write: \(persona.linguistics)",
            "Your behaviour: \(behaviourGuidance(persona.behaviour))",
        ]
        if !persona.likedTitles.isEmpty {
            lines.append("Movies you liked before: \(persona.likedTitles.prefix(5).joined(separator: "; ")).")
        }
        lines.append(
            "The movie you are secretly looking for: \(target.title). Its genres: \(target.genres.joined(separator: ", ")). "
                + (target.tags.isEmpty ? "" : "Its tags: \(target.tags.prefix(5).joined(separator: ", ")). ")
                + "Never say its title; describe its features a little at a time.")
        return lines.joined(separator: "\n")
    }

    /// The dialogue so far, one line per message.
    static func transcript(_ messages: [(speaker: String, text: String)]) -> String {
        messages.map { "\($0.speaker): \($0.text)" }.joined(separator: "\n")
    }

    static func messages(card: String, dialogue: String, task: String) -> [ChatMessage] {
        [
            ChatMessage(role: "system", content: system),
            ChatMessage(role: "user", content: card + "\n\nConversation:\n" + (dialogue.isEmpty ? "(none yet)" : dialogue) + "\n\n" + task),
        ]
    }

    static let system = "You simulate a user talking to a movie recommendation assistant and judge its replies. Answer in JSON only."

    static let openingTask =
        "Write your first message asking the assistant for a movie recommendation, in your own style. Mention one feature of the movie you want. Reply as {\"response\": \"...\"}."

    static let policyTask =
        "Choose what you do next: respond_to_clarification (the assistant asked you something), provide_feedback_on_recommendation (the assistant recommended something), or end_conversation (you are satisfied or want to stop). Reply as {\"reason\": \"...\", \"policy\": \"...\"}."

    static func responseTask(policy: UserPolicy) -> String {
        switch policy {
        case .respondToClarification:
            return "Answer the assistant's question in your own style, revealing one more feature of the movie you want. Reply as {\"response\": \"...\"}."
        case .provideFeedbackOnRecommendation:
            return "Tell the assistant whether its recommendation matches what you want and why, revealing one more feature of the movie you want. Reply as {\"response\": \"...\"}."
        case .askRecommendation, .endConversation:
            return openingTask
        }
    }

    static let recommendationTask =
        "Rate the assistant's last reply as a recommendation: 5 it recommends exactly your movie, 4 very close, 3 partly relevant, 2 slightly relevant, 1 unrelated, 0 it recommends nothing in this reply. Reply as {\"reason\": \"...\", \"rating\": n}."

    static let strategyTask =
        "Rate the assistant's strategy in its last reply: 5 it strongly advances finding your movie, 3 it helps a little, 1 it hinders, 0 no discernible strategy. Reply as {\"reason\": \"...\", \"rating\": n}."

    static let expressionTask =
        "Judge how satisfying the assistant's last reply was to you. Start from 5 and deduct: flexibility 0-2 (it ignored what you said or repeated itself), coherence 0-2 (it was confusing or contradicted the conversation), guidance 0-1 (it did not help you move forward). Name the specific flaws in the reason. Reply as {\"reason\": \"...\", \"flexibility\": n, \"coherence\": n, \"guidance\": n}."
}
