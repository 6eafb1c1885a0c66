import Foundation

/// One supervised example in LLaMA-Factory's alpaca format (`instruction`, `input`, `output`,
/// `system`; conversational.md §3 stage 1 and the SFT copies of stage 3), so a user can train a
/// larger model elsewhere on the same data.
public struct SupervisedRecord: Codable, Sendable, Equatable {
    /// The agent prompt, few-shot block removed.
    public var instruction: String
    public var input: String
    /// The action.
    public var output: String
    public var system: String
    /// Where the example came from (`<dialogue id>#<turn>.<step>`); not read by LLaMA-Factory.
    public var source: String

    public init(instruction: String, output: String, source: String) {
        self.instruction = instruction
        input = ""
        self.output = output
        system = AgentPrompt.systemMessage
        self.source = source
    }
}

/// One ECPO preference triple `(s_t, chosen = p̃_t, rejected = p_t)` in LLaMA-Factory's pairwise
/// format (`instruction`, `input`, `chosen`, `rejected`, `system`; §3 stage 3), with where it
/// came from and why the turn was rewritten.
public struct PreferenceRecord: Codable, Sendable, Equatable {
    public var instruction: String
    public var input: String
    /// The rewritten action `p̃_t`.
    public var chosen: String
    /// The original action `p_t`.
    public var rejected: String
    public var system: String
    public var source: String
    /// The turn's satisfaction `e_t` and its reason (the feedback the rewriter saw).
    public var satisfaction: Int
    public var satisfactionReason: String
    /// The rewriter's reason for its refinement.
    public var rewriteReason: String

    /// The same triple in TRL's conversational preference format (`prompt` messages, `chosen`
    /// and `rejected` assistant messages), one JSON object per line.
    public var trlLine: [String: [[String: String]]] {
        [
            "prompt": [["role": "system", "content": system], ["role": "user", "content": instruction]],
            "chosen": [["role": "assistant", "content": chosen]],
            "rejected": [["role": "assistant", "content": rejected]],
        ]
    }
}
