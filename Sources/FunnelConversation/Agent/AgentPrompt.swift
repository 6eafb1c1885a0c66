import Foundation
import FunnelLanguage

/// The ActCRS prompt (conversational.md §2.2): the task and the action definitions, an
/// optional few-shot block, then the scratchpad — the dialogue so far with the agent's own
/// actions and search observations — and the request for one action.
///
/// The few-shot block is the only part that differs between ``text(scratchpad:includesFewShot:)``
/// with and without it, which is how SGPT's training prompts are made (§3 stage 1: "the
/// step's full prompt with the few-shot block removed"). The scratchpad is cut from the left,
/// whole lines at a time, to ``scratchpadCharacterLimit``, so a long dialogue never loses the
/// latest lines or the action request (§7: "truncate from the left of the history, never the
/// action").
public struct AgentPrompt: Sendable, Equatable {
    /// The system message of every agent call and training example (§3 stage 1).
    public static let systemMessage = "You are a helpful assistant."

    /// The longest scratchpad kept, in characters ([ASSUMED] 2,400, about 600 tokens, so a
    /// prompt stays well inside the 2,048-token cutoff of §3).
    public var scratchpadCharacterLimit: Int

    public init(scratchpadCharacterLimit: Int = 2400) {
        self.scratchpadCharacterLimit = scratchpadCharacterLimit
    }

    static let instructions = """
        You are a movie recommendation assistant talking with a user. Find the one movie the user wants.
        Reply with exactly one action:
        Search[keywords] - look up movies in the database; you will see the top 5 results.
        Ask[question] - ask the user about what they want.
        Recommend[full movie title] - recommend one movie, using its full title from the search results.
        Response[text] - answer the user or chat with them.
        """

    static let fewShot = """
        Example:
        User: I'd like something scary set in space.
        Search[scary space horror]
        Observation: 1. Alien (1979) - Genres: Horror, Sci-Fi
        2. Event Horizon (1997) - Genres: Horror, Sci-Fi
        Ask[Do you prefer a classic or a more recent film?]
        User: A classic, please.
        Recommend[Alien (1979)]
        """

    static let request = "Your next action:"

    /// The prompt for the next action after `scratchpad` (lines, oldest first).
    public func text(scratchpad: [String], includesFewShot: Bool) -> String {
        var parts = [Self.instructions]
        if includesFewShot { parts.append(Self.fewShot) }
        parts.append("Conversation so far:\n" + truncated(scratchpad).joined(separator: "\n"))
        parts.append(Self.request)
        return parts.joined(separator: "\n\n")
    }

    /// The chat messages of one agent call.
    public static func messages(_ prompt: String) -> [ChatMessage] {
        [ChatMessage(role: "system", content: systemMessage), ChatMessage(role: "user", content: prompt)]
    }

    /// The newest lines whose total length (newlines counted) fits the limit, after a marker
    /// when any were dropped; the newest line is always kept.
    func truncated(_ lines: [String]) -> [String] {
        var kept: [String] = []
        var length = 0
        for line in lines.reversed() {
            let added = line.count + 1
            if !kept.isEmpty, length + added > scratchpadCharacterLimit { break }
            kept.append(line)
            length += added
        }
        return kept.count < lines.count ? ["(earlier conversation omitted)"] + kept.reversed() : kept.reversed()
    }
}
