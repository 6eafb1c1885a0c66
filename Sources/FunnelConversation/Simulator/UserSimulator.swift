import Foundation
import FunnelLanguage

/// AILO, the LLM user simulator (conversational.md §2.3): it opens the dialogue, chooses a
/// policy each turn, answers in its persona's style without ever naming its hidden target, and
/// rates every agent reply three ways — the expression rating being ECPO's expectation
/// confirmation.
///
/// Every call is a JSON reply of a fixed ``ReplySchema`` through ``StructuredChat`` (validated,
/// retried at rising temperature, refused with the dialogue, turn, role and field). A reply
/// that names the target (``TitleMatching/mentions(_:title:)``) is retried; when every attempt
/// leaks, the error has ``ConversationError/isLeak`` set and the runner drops the dialogue.
public struct UserSimulator: Sendable {
    /// The simulator's model, ledger and retry policy.
    public let chat: StructuredChat
    /// The longest user message, in characters ([ASSUMED] 160: one or two sentences).
    public var responseLength: Int
    /// The longest reason a rater or the policy selector writes ([ASSUMED] 100 characters).
    public var reasonLength: Int

    public init(chat: StructuredChat, responseLength: Int = 160, reasonLength: Int = 100) {
        self.chat = chat
        self.responseLength = responseLength
        self.reasonLength = reasonLength
    }

    /// Where a call is: the dialogue, the turn, the persona card and the transcript so far.
    public struct Context: Sendable {
        public var dialogue: String
        public var turn: Int
        public var persona: Persona
        public var target: CatalogueItem
        /// `(speaker, text)` lines so far, the agent's latest reply last.
        public var transcript: [(speaker: String, text: String)]

        public init(dialogue: String, turn: Int, persona: Persona, target: CatalogueItem, transcript: [(speaker: String, text: String)]) {
            self.dialogue = dialogue
            self.turn = turn
            self.persona = persona
            self.target = target
            self.transcript = transcript
        }
    }

    private func messages(_ context: Context, task: String) -> [ChatMessage] {
        SimulatorPrompts.messages(
            card: SimulatorPrompts.userCard(persona: context.persona, target: context.target),
            dialogue: SimulatorPrompts.transcript(context.transcript), task: task)
    }

    /// The user's message under `policy` (`ask_recommendation` for the opening), checked for
    /// leakage.
    public func respond(_ context: Context, policy: UserPolicy) throws -> String {
        let task = policy == .askRecommendation ? SimulatorPrompts.openingTask : SimulatorPrompts.responseTask(policy: policy)
        let schema = ReplySchema([.init("response", .text(maximumLength: responseLength))])
        let title = context.target.title
        let (reply, _) = try chat.request(
            role: SimulatorPrompts.responseRole, messages: messages(context, task: task),
            schema: schema, dialogue: context.dialogue, turn: context.turn
        ) { reply in
            TitleMatching.mentions(reply.texts["response"] ?? "", title: title)
                ? ReplyProblem(field: "response", reason: "the user named the target \"\(title)\"", isLeak: true) : nil
        }
        return reply.texts["response"] ?? ""
    }

    /// The next policy after the agent's reply, with the selector's reason.
    public func choosePolicy(_ context: Context) throws -> (policy: UserPolicy, reason: String) {
        let schema = ReplySchema([
            .init("reason", .text(maximumLength: reasonLength)),
            .init("policy", .choice(UserPolicy.selectable.map(\.rawValue))),
        ])
        let (reply, _) = try chat.request(
            role: SimulatorPrompts.policyRole,
            messages: messages(context, task: SimulatorPrompts.policyTask),
            schema: schema, dialogue: context.dialogue, turn: context.turn)
        return (UserPolicy(rawValue: reply.texts["policy"] ?? "") ?? .endConversation, reply.texts["reason"] ?? "")
    }

    /// The three ratings of the agent's latest reply (the transcript's last line).
    public func rate(_ context: Context) throws -> TurnRatings {
        let rating = ReplySchema([
            .init("reason", .text(maximumLength: reasonLength)), .init("rating", .integer(0...5)),
        ])
        let (recommendation, _) = try chat.request(
            role: SimulatorPrompts.recommendationRole,
            messages: messages(context, task: SimulatorPrompts.recommendationTask),
            schema: rating, dialogue: context.dialogue, turn: context.turn)
        let (strategy, _) = try chat.request(
            role: SimulatorPrompts.strategyRole,
            messages: messages(context, task: SimulatorPrompts.strategyTask),
            schema: rating, dialogue: context.dialogue, turn: context.turn)
        let expressionSchema = ReplySchema([
            .init("reason", .text(maximumLength: reasonLength)), .init("flexibility", .integer(0...2)),
            .init("coherence", .integer(0...2)), .init("guidance", .integer(0...1)),
        ])
        let (expression, _) = try chat.request(
            role: SimulatorPrompts.expressionRole,
            messages: messages(context, task: SimulatorPrompts.expressionTask),
            schema: expressionSchema, dialogue: context.dialogue, turn: context.turn)
        return TurnRatings(
            recommendation: recommendation.integers["rating"] ?? 0, recommendationReason: recommendation.texts["reason"] ?? "",
            strategy: strategy.integers["rating"] ?? 0, strategyReason: strategy.texts["reason"] ?? "",
            flexibilityDeduction: expression.integers["flexibility"] ?? 0,
            coherenceDeduction: expression.integers["coherence"] ?? 0,
            guidanceDeduction: expression.integers["guidance"] ?? 0,
            expressionReason: expression.texts["reason"] ?? "")
    }
}
