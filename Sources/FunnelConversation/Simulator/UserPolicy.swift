/// What AILO's user does in a turn (conversational.md §2.3): the opening request at turn 0,
/// then one of the three policies the policy selector chooses from.
public enum UserPolicy: String, Codable, CaseIterable, Sendable {
    case askRecommendation = "ask_recommendation"
    case respondToClarification = "respond_to_clarification"
    case provideFeedbackOnRecommendation = "provide_feedback_on_recommendation"
    case endConversation = "end_conversation"

    /// The policies the selector may choose after turn 0.
    public static let selectable: [UserPolicy] = [.respondToClarification, .provideFeedbackOnRecommendation, .endConversation]
}
