import Foundation
import FunnelLanguage

/// Asks a role for a JSON reply of a ``ReplySchema`` and retries until it is valid
/// (conversational.md §5.1: "JSON parsing with schema validation and retries").
///
/// Attempt `j` (0 first) samples at temperature `temperatureStep · j` — greedy first, as the
/// simulator's structured outputs are read at temperature 0 — with a seed derived from the
/// run's seed, the dialogue, the turn, the role and `j`, so a rerun, or a resumed run, draws the
/// same tokens. A reply that fails the schema, or a caller's extra check (the leakage check), is
/// retried; after the last attempt the error names the dialogue, the turn, the role and the
/// field.
public struct StructuredChat: Sendable {
    /// The model and its ledger.
    public let backend: RoleBackend
    /// How many times a role is asked before its reply is refused ([ASSUMED] 3).
    public var attempts: Int
    /// The temperature added per retry (as the agent's retries, §2.2: 0.3).
    public var temperatureStep: Float
    /// The run's seed.
    public var seed: UInt64

    public init(backend: RoleBackend, attempts: Int = 3, temperatureStep: Float = 0.3, seed: UInt64 = 0) {
        self.backend = backend
        self.attempts = max(attempts, 1)
        self.temperatureStep = temperatureStep
        self.seed = seed
    }

    /// The validated reply of `role` to `messages`, and the attempts it took.
    /// - Parameters:
    ///   - check: a further test of a valid reply; a problem it returns is retried like a schema
    ///     failure.
    /// - Throws: ``ConversationError`` naming `dialogue`, `turn`, `role` and the failing field
    ///   after ``attempts`` invalid replies; the backend's own errors as they come.
    public func request(
        role: String, messages: [ChatMessage], schema: ReplySchema, dialogue: String, turn: Int?,
        check: (StructuredReply) -> ReplyProblem? = { _ in nil }
    ) throws -> (reply: StructuredReply, attempts: Int) {
        var lastProblem = ReplyProblem(field: nil, reason: "no attempt was made")
        for attempt in 0..<attempts {
            let options = SamplingOptions(
                temperature: temperatureStep * Float(attempt), maxTokens: schema.maximumTokens,
                seed: Self.seed(seed, dialogue, turn ?? -1, role, attempt))
            let text = try backend.chat(
                role: role, messages, options: options, format: .jsonSchema(schema.jsonSchema))
            switch schema.validate(text) {
            case .success(let reply):
                if let problem = check(reply) {
                    lastProblem = problem
                    continue
                }
                return (reply, attempt + 1)
            case .failure(let problem):
                lastProblem = problem
            }
        }
        throw ConversationError.reply(
            dialogue: dialogue, turn: turn, role: role, field: lastProblem.field,
            "\(lastProblem.reason) (after \(attempts) attempts)", isLeak: lastProblem.isLeak)
    }

    /// A seed from the run's seed and where the call is (FNV-1a over the parts' bytes: stable
    /// across processes, unlike Swift's `Hasher`).
    static func seed(_ base: UInt64, _ dialogue: String, _ turn: Int, _ role: String, _ attempt: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array("\(base)|\(dialogue)|\(turn)|\(role)|\(attempt)".utf8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
