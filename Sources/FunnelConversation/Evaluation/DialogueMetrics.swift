import Foundation

/// The figures of conversational.md §4 over a set of dialogues of one agent: success rate,
/// recall rate, the mean recommendation / strategy / expression ratings (averaging only
/// non-zero ratings, §7), the LLM calls per dialogue, and the mean satisfaction `e_t` at each
/// turn (the report's chart).
public struct DialogueMetrics: Codable, Sendable, Equatable {
    public var dialogues: Int
    /// Dialogues dropped by the leakage check (counted as failures).
    public var aborted: Int
    /// SR: the fraction of dialogues whose target title appeared in a reply the user saw.
    public var successRate: Double
    /// R: the fraction whose target was among the top 5 of a search.
    public var recallRate: Double
    /// Per dialogue, the mean of its non-zero ratings; then the mean over dialogues with any.
    public var recommendationRating: Double
    public var strategyRating: Double
    public var expressionRating: Double
    /// The mean number of agent turns.
    public var turns: Double
    /// The mean LLM calls per dialogue, by role and in total.
    public var callsPerDialogue: [String: Double]
    public var totalCallsPerDialogue: Double
    /// The mean `e_t` of the dialogues that reached turn `t`, `t = 0, 1, …`.
    public var satisfactionByTurn: [Double]

    /// The metrics of `records` (all of one agent).
    public init(_ records: [DialogueRecord]) {
        dialogues = records.count
        aborted = records.filter { $0.ending == .aborted }.count
        let count = Double(max(records.count, 1))
        successRate = Double(records.filter(\.success).count) / count
        recallRate = Double(records.filter(\.recall).count) / count
        func meanRating(_ value: (TurnRatings) -> Int) -> Double {
            Self.averageWithoutZeros(
                records.map { Self.averageWithoutZeros($0.ratings.map { Double(value($0)) }) })
        }
        recommendationRating = meanRating(\.recommendation)
        strategyRating = meanRating(\.strategy)
        expressionRating = meanRating(\.expression)
        turns = Double(records.reduce(0) { $0 + $1.turns.count }) / count
        var calls: [String: Double] = [:]
        for record in records {
            for (role, entry) in record.calls { calls[role, default: 0] += Double(entry.calls) / count }
        }
        callsPerDialogue = calls
        totalCallsPerDialogue = calls.values.reduce(0, +)
        let longest = records.map { $0.ratings.count }.max() ?? 0
        satisfactionByTurn = (0..<longest).map { turn in
            let values = records.compactMap { $0.ratings.count > turn ? Double($0.ratings[turn].expression) : nil }
            return values.reduce(0, +) / Double(values.count)
        }
    }

    /// The mean of the non-zero values, 0 when there are none (§7: a rating of 0 means "not
    /// applicable"; §8: `[0, 4, 2, 0]` → 3.0, all zeros → 0).
    public static func averageWithoutZeros(_ values: [Double]) -> Double {
        let kept = values.filter { $0 != 0 }
        return kept.isEmpty ? 0 : kept.reduce(0, +) / Double(kept.count)
    }
}
