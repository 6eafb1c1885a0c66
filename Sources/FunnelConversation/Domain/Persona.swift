import Foundation

/// How a simulated user goes about a conversation (conversational.md §2.1: the persona's
/// `Activities`, one of three behaviour traits).
public enum BehaviourTrait: String, Codable, CaseIterable, Sendable {
    case efficiencySeeking = "efficiency-seeking"
    case detailOriented = "detail-oriented"
    case explorationOriented = "exploration-oriented"
}

/// One simulated user with the items they are looking for (conversational.md §2.1: a record of
/// `task/{Domain}_train.jsonl` or `_test.jsonl`, a persona with its target items).
public struct Persona: Codable, Sendable, Equatable {
    /// `train-0003`, `test-0007`: the split and the 0-based position in it.
    public var id: String
    /// The source user the persona was built from.
    public var userId: String
    /// §2.1's `Activities`.
    public var behaviour: BehaviourTrait
    /// §2.1's `Linguistics`: one sentence on how the user writes.
    public var linguistics: String
    /// The user's tastes in one sentence (`Enjoys Comedy, Drama and Romance; …`).
    public var preferences: String
    /// Titles of other items the user rated highly, most recent first; never a target.
    public var likedTitles: [String]
    /// The user's items rated at least the threshold (§2.1: >= 4.0) held out as targets, most
    /// recent first; `targetIds[0]` is the one evaluated (§2.1: `item_id = 0`).
    public var targetIds: [String]

    public init(
        id: String, userId: String, behaviour: BehaviourTrait, linguistics: String,
        preferences: String, likedTitles: [String], targetIds: [String]
    ) {
        self.id = id
        self.userId = userId
        self.behaviour = behaviour
        self.linguistics = linguistics
        self.preferences = preferences
        self.likedTitles = likedTitles
        self.targetIds = targetIds
    }
}
