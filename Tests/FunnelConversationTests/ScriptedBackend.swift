import Foundation
import FunnelLanguage

@testable import FunnelConversation

/// A backend whose replies a test scripts: `reply` sees each call (its messages, options and
/// format) and returns the text; every call is kept for the test to inspect.
final class ScriptedBackend: LanguageModelBackend, @unchecked Sendable {
    struct Call {
        var messages: [ChatMessage]
        var options: SamplingOptions
        var format: ResponseFormat
        /// The user message's text.
        var prompt: String { messages.last?.content ?? "" }
    }

    private let lock = NSLock()
    private var recorded: [Call] = []
    let reply: (Call) -> String

    init(reply: @escaping (Call) -> String) {
        self.reply = reply
    }

    /// Replies from `replies` in order (the last repeated once they run out).
    convenience init(replies: [String]) {
        let queue = ReplyQueue(replies)
        self.init { _ in queue.next() }
    }

    var calls: [Call] { lock.withLock { recorded } }

    func chat(_ messages: [ChatMessage], options: SamplingOptions, format: ResponseFormat) throws -> String {
        let call = Call(messages: messages, options: options, format: format)
        lock.withLock { recorded.append(call) }
        return reply(call)
    }

    func logProbability(messages: [ChatMessage], completion: String) throws -> Double { 0 }

    func role(_ ledger: CallLedger = CallLedger()) -> RoleBackend {
        RoleBackend(backend: self, modelName: "scripted", ledger: ledger)
    }
}

/// Replies handed out in order, the last one repeated.
final class ReplyQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var replies: [String]

    init(_ replies: [String]) {
        self.replies = replies
    }

    func next() -> String {
        lock.withLock { replies.count > 1 ? replies.removeFirst() : (replies.first ?? "") }
    }
}

/// Small fixtures shared by the suites.
enum ConversationFixtures {
    static let toyStory = CatalogueItem(id: "1", title: "Toy Story (1995)", genres: ["Animation", "Comedy"], tags: ["toys", "animated"])
    static let alien = CatalogueItem(id: "2", title: "Alien (1979)", genres: ["Horror", "Sci-Fi"], tags: ["space"])
    static let heat = CatalogueItem(id: "3", title: "Heat (1995)", genres: ["Action", "Crime"], tags: ["heist"])

    static let persona = Persona(
        id: "test-0001", userId: "7", behaviour: .efficiencySeeking, linguistics: "Writes short messages.",
        preferences: "Enjoys Animation and Comedy.", likedTitles: ["Shrek (2001)"], targetIds: ["1"])

    static func retriever() -> ItemRetriever {
        ItemRetriever(items: [toyStory, alien, heat], embedder: KeywordEmbedder())
    }

    /// Ratings with the given satisfaction (deductions put on flexibility, then coherence).
    static func ratings(expression: Int, recommendation: Int = 0) -> TurnRatings {
        let deduction = 5 - expression
        return TurnRatings(
            recommendation: recommendation, recommendationReason: "r", strategy: 3, strategyReason: "s",
            flexibilityDeduction: min(deduction, 2), coherenceDeduction: min(max(deduction - 2, 0), 2),
            guidanceDeduction: max(deduction - 4, 0), expressionReason: "too generic")
    }
}
