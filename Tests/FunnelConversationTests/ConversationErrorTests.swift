import Testing

@testable import FunnelConversation

@Suite struct ConversationErrorTests {
    @Test func fileLocationNamesLineAndField() {
        let error = ConversationError.file("personas.jsonl", line: 12, field: "behaviour", "expected one of …")
        #expect(error.description == "personas.jsonl:12: field \"behaviour\": expected one of …")
    }

    @Test func replyLocationNamesDialogueTurnRoleAndField() {
        let error = ConversationError.reply(dialogue: "test-3", turn: 2, role: "simulator.rating", field: "rating", "expected an integer 0 to 5")
        #expect(error.description == "dialogue test-3, turn 2, simulator.rating, field \"rating\": expected an integer 0 to 5")
    }
}
