import Testing

@testable import FunnelConversation

@Suite struct AgentPromptTests {
    /// SGPT's training prompt is the prompt with the few-shot block removed and nothing else.
    @Test func removingTheFewShotBlockChangesNothingElse() {
        let prompt = AgentPrompt()
        let lines = ["User: something funny", "Search[funny]", "Observation: 1. Heat (1995)"]
        let full = prompt.text(scratchpad: lines, includesFewShot: true)
        let bare = prompt.text(scratchpad: lines, includesFewShot: false)
        #expect(full.contains(AgentPrompt.fewShot))
        #expect(!bare.contains("Example:"))
        #expect(full.replacingOccurrences(of: AgentPrompt.fewShot + "\n\n", with: "") == bare)
        #expect(bare.hasSuffix("Observation: 1. Heat (1995)\n\nYour next action:"))
    }

    /// §7: a long scratchpad loses its oldest lines, never its newest one or the request.
    @Test func longScratchpadsAreCutFromTheLeft() {
        let prompt = AgentPrompt(scratchpadCharacterLimit: 30)
        let lines = ["User: " + String(repeating: "a", count: 20), "Ask[which?]", "User: comedy"]
        let kept = prompt.truncated(lines)
        #expect(kept == ["(earlier conversation omitted)", "Ask[which?]", "User: comedy"])
        let huge = ["User: " + String(repeating: "b", count: 100)]
        #expect(prompt.truncated(huge) == huge)
        #expect(prompt.text(scratchpad: lines, includesFewShot: false).hasSuffix("User: comedy\n\nYour next action:"))
    }
}
