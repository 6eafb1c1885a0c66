import Foundation
import FunnelLanguage
import Testing

@testable import FunnelConversation

@Suite struct StructuredChatTests {
    let schema = ReplySchema([.init("reason", .text(maximumLength: 50)), .init("rating", .integer(0...5))])

    @Test func invalidRepliesAreRetriedAtRisingTemperature() throws {
        let backend = ScriptedBackend(replies: ["not json", #"{"reason": "ok", "rating": 9}"#, #"{"reason": "ok", "rating": 4}"#])
        let chat = StructuredChat(backend: backend.role(), attempts: 3, seed: 5)
        let (reply, attempts) = try chat.request(role: "rater", messages: [], schema: schema, dialogue: "d", turn: 2)
        #expect(reply.integers["rating"] == 4)
        #expect(attempts == 3)
        #expect(backend.calls.map(\.options.temperature) == [0, 0.3, 0.6])
        #expect(Set(backend.calls.map(\.options.seed)).count == 3)
        guard case .jsonSchema(let text) = backend.calls[0].format else {
            Issue.record("expected a JSON schema format")
            return
        }
        #expect(text.contains("\"required\":[\"reason\",\"rating\"]"))
    }

    @Test func theLastFailureNamesDialogueTurnRoleAndField() {
        let backend = ScriptedBackend(replies: [#"{"reason": "ok", "rating": "high"}"#])
        let chat = StructuredChat(backend: backend.role(), attempts: 2)
        #expect(throws: ConversationError.self) {
            try chat.request(role: "simulator.strategy-rating", messages: [], schema: schema, dialogue: "base/test-0003", turn: 1)
        }
        do {
            _ = try chat.request(role: "simulator.strategy-rating", messages: [], schema: schema, dialogue: "base/test-0003", turn: 1)
        } catch let error as ConversationError {
            #expect(error.description.hasPrefix("dialogue base/test-0003, turn 1, simulator.strategy-rating, field \"rating\": expected an integer 0 to 5"))
            #expect(error.description.hasSuffix("(after 2 attempts)"))
            #expect(!error.isLeak)
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(backend.calls.count == 4)
    }

    @Test func schemaValidationNamesEachProblem() {
        let choice = ReplySchema([.init("policy", .choice(["a", "b"])), .init("text", .text(maximumLength: 10))])
        #expect(choice.validate(#"{"policy": "c", "text": "x"}"#) == .failure(ReplyProblem(field: "policy", reason: "expected one of a, b, found \"c\"")))
        #expect(choice.validate(#"{"policy": "a"}"#) == .failure(ReplyProblem(field: "text", reason: "missing")))
        #expect(choice.validate(#"{"policy": "a", "text": "  "}"#) == .failure(ReplyProblem(field: "text", reason: "expected a non-empty string")))
        #expect(schema.validate(#"{"reason": "x", "rating": true}"#) == .failure(ReplyProblem(field: "rating", reason: "expected an integer 0 to 5, found a boolean")))
        #expect(schema.validate(#"{"reason": "x", "rating": 2.5}"#) == .failure(ReplyProblem(field: "rating", reason: "expected an integer 0 to 5, found 2.5")))
        if case .failure(let problem) = schema.validate("[1]") { #expect(problem.field == nil) } else { Issue.record("accepted an array") }
        #expect(schema.validate(#" {"reason": "x", "rating": 0} "#) == .success(StructuredReply(texts: ["reason": "x"], integers: ["rating": 0])))
    }

    /// The token limit covers the longest reply the schema admits (6 bytes per character), so a
    /// reply is never cut before its JSON closes.
    @Test func theTokenLimitCoversTheLongestReply() throws {
        #expect(schema.maximumTokens == 16 + (24 + 6 * 50) + 24)
        let backend = ScriptedBackend(replies: [#"{"reason": "ok", "rating": 1}"#])
        _ = try StructuredChat(backend: backend.role()).request(role: "r", messages: [], schema: schema, dialogue: "d", turn: 0)
        #expect(backend.calls[0].options.maxTokens == schema.maximumTokens)
    }

    @Test func seedsAreStableAcrossProcesses() {
        // FNV-1a of a fixed string: a value that does not depend on Swift's per-process hashing.
        #expect(StructuredChat.seed(0, "d", 1, "r", 0) == StructuredChat.seed(0, "d", 1, "r", 0))
        #expect(StructuredChat.seed(0, "d", 1, "r", 0) != StructuredChat.seed(0, "d", 1, "r", 1))
        #expect(StructuredChat.seed(1, "", 0, "", 0) == 0xb89d_883e_0668_acdc)
    }
}
