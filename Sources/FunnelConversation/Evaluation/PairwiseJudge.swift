import Foundation
import FunnelLanguage

/// The win rate of conversational.md §4 (iEvaLM-style pairwise evaluation, `pair_eval/eval.py`):
/// a judge model compares an agent's dialogue with the expert's dialogue for the same persona
/// on flexibility, coherence and user guidance.
///
/// [ASSUMED] Each pair is judged twice, with the dialogues in both orders, and a criterion's
/// score for the candidate is 1 (won both), 0.5 (split or tie) or 0 (lost both), so a judge's
/// preference for the first or second position cancels out — small judges have a strong one.
/// A dialogue compared with an identical one scores 0.5 without a call (the expert against
/// itself scores 0.50, as in the paper).
public struct PairwiseJudge: Sendable {
    /// The criteria, as the JSON fields the judge fills.
    public static let criteria = ["flexibility", "coherence", "guidance"]
    /// The judge's role name in the ledger.
    public static let role = "judge"

    public let chat: StructuredChat
    public var reasonLength: Int

    public init(chat: StructuredChat, reasonLength: Int = 160) {
        self.chat = chat
        self.reasonLength = reasonLength
    }

    /// One comparison's result: the candidate's score per criterion and their mean.
    public struct Verdict: Codable, Sendable, Equatable {
        public var personaId: String
        public var candidate: String
        public var scores: [String: Double]
        public var winRate: Double
        public var reasons: [String]
        /// Why the judge gave no verdict (its reply stayed invalid after every retry); such a
        /// comparison is left out of the win rate and counted in the report.
        public var failure: String?
    }

    /// The dialogue as the judge reads it.
    static func transcript(_ record: DialogueRecord) -> String {
        record.turns.map { turn in
            "User: \(turn.userMessage)\nAssistant: \(ConversationalAgent.visibleText(of: turn.agentAction))"
        }.joined(separator: "\n")
    }

    static func messages(first: String, second: String) -> [ChatMessage] {
        let task = """
            Two movie recommendation assistants talked with the same user.

            Dialogue A:
            \(first)

            Dialogue B:
            \(second)

            For each criterion say which assistant did better, "A", "B" or "tie": flexibility (adapts to what the user says), coherence (consistent and clear), guidance (helps the user move towards a good choice). Reply as {"reason": "...", "flexibility": "A", "coherence": "B", "guidance": "tie"}.
            """
        return [
            ChatMessage(role: "system", content: "You are a fair judge of conversations. Answer in JSON only."),
            ChatMessage(role: "user", content: task),
        ]
    }

    /// `candidate` judged against `expert` (both with the same persona).
    public func judge(candidate: DialogueRecord, expert: DialogueRecord) throws -> Verdict {
        let (candidateText, expertText) = (Self.transcript(candidate), Self.transcript(expert))
        var scores = Dictionary(uniqueKeysWithValues: Self.criteria.map { ($0, 0.0) })
        var reasons: [String] = []
        if candidateText == expertText {
            scores = scores.mapValues { _ in 0.5 }
        } else {
            let schema = ReplySchema(
                [.init("reason", .text(maximumLength: reasonLength))]
                    + Self.criteria.map { .init($0, .choice(["A", "B", "tie"])) })
            for candidateFirst in [true, false] {
                let (reply, _) = try chat.request(
                    role: Self.role,
                    messages: candidateFirst
                        ? Self.messages(first: candidateText, second: expertText)
                        : Self.messages(first: expertText, second: candidateText),
                    schema: schema, dialogue: candidate.id + (candidateFirst ? " vs expert" : " vs expert (swapped)"), turn: nil)
                reasons.append(reply.texts["reason"] ?? "")
                for criterion in Self.criteria {
                    let winner = reply.texts[criterion] ?? "tie"
                    let candidateLabel = candidateFirst ? "A" : "B"
                    scores[criterion, default: 0] += winner == "tie" ? 0.25 : (winner == candidateLabel ? 0.5 : 0)
                }
            }
        }
        let winRate = Self.criteria.reduce(0) { $0 + (scores[$1] ?? 0) } / Double(Self.criteria.count)
        return Verdict(personaId: candidate.personaId, candidate: candidate.agent, scores: scores, winRate: winRate, reasons: reasons)
    }
}
