import Foundation

/// Why a conversational run refused an input file, a configuration or a model's reply, and
/// where: a file with its line and field path, or a dialogue with its turn, role and field
/// (the "a message naming the dialogue, turn and field").
public struct ConversationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where the problem is, as the message's first part (`personas.jsonl:12: field "traits"`).
    public let location: String
    /// What was expected or what went wrong.
    public let reason: String
    /// Whether the reply was refused because the simulated user named its hidden target (the
    /// leakage check, §2.3): the dialogue is dropped rather than the run stopped.
    public var isLeak: Bool = false

    public init(location: String, reason: String, isLeak: Bool = false) {
        self.location = location
        self.reason = reason
        self.isLeak = isLeak
    }

    /// A problem in a file: `path`, the 1-based `line` when known, the field path when known.
    public static func file(_ path: String, line: Int? = nil, field: String? = nil, _ reason: String) -> ConversationError {
        var location = path
        if let line { location += ":\(line)" }
        if let field { location += ": field \"\(field)\"" }
        return ConversationError(location: location, reason: reason)
    }

    /// A problem with a model's reply: the dialogue's id, the 0-based turn, the role that
    /// replied (`simulator.policy`, `agent`, `rewriter`, `judge` …) and the field when known.
    public static func reply(
        dialogue: String, turn: Int?, role: String, field: String? = nil, _ reason: String, isLeak: Bool = false
    ) -> ConversationError {
        var location = "dialogue \(dialogue)"
        if let turn { location += ", turn \(turn)" }
        location += ", \(role)"
        if let field { location += ", field \"\(field)\"" }
        return ConversationError(location: location, reason: reason, isLeak: isLeak)
    }

    public var description: String { "\(location): \(reason)" }
}
