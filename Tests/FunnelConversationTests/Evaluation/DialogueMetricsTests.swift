import Testing

@testable import FunnelConversation

@Suite struct DialogueMetricsTests {
    /// §8: ratings [0, 4, 2, 0] average to 3.0 without the zeros; all zeros give 0.
    @Test func averagesLeaveZerosOut() {
        #expect(DialogueMetrics.averageWithoutZeros([0, 4, 2, 0]) == 3.0)
        #expect(DialogueMetrics.averageWithoutZeros([0, 0]) == 0)
        #expect(DialogueMetrics.averageWithoutZeros([]) == 0)
    }

    func record(_ persona: String, success: Bool, recall: Bool, expressions: [Int], recommendations: [Int], calls: Int, ending: DialogueEnding = .roundLimit) -> DialogueRecord {
        let turns = zip(expressions, recommendations).enumerated().map { index, pair in
            DialogueTurn(
                index: index, userMessage: "u", userPolicy: "p", agentSteps: [], agentAction: "Ask[x]",
                ratings: ConversationFixtures.ratings(expression: pair.0, recommendation: pair.1))
        }
        return DialogueRecord(
            id: "a/\(persona)", agent: "a", personaId: persona, targetId: "1", targetTitle: "T", turns: turns, success: success,
            recall: recall, ending: ending, abortReason: nil, calls: ["agent": .init(calls: calls, seconds: 1)], seconds: 2)
    }

    @Test func ratesAndPerTurnSatisfaction() {
        let metrics = DialogueMetrics([
            record("p1", success: true, recall: true, expressions: [3, 5], recommendations: [0, 4], calls: 4),
            record("p2", success: false, recall: true, expressions: [1], recommendations: [0], calls: 2, ending: .aborted),
        ])
        #expect(metrics.dialogues == 2)
        #expect(metrics.aborted == 1)
        #expect(metrics.successRate == 0.5)
        #expect(metrics.recallRate == 1)
        // p1's non-zero recommendation ratings average 4; p2 has none and is left out.
        #expect(metrics.recommendationRating == 4)
        #expect(metrics.expressionRating == 2.5)
        #expect(metrics.satisfactionByTurn == [2, 5])
        #expect(metrics.turns == 1.5)
        #expect(metrics.callsPerDialogue == ["agent": 3])
        #expect(metrics.totalCallsPerDialogue == 3)
    }
}
