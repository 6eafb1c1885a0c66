import Foundation
import FunnelLanguage

/// Plays one dialogue between an agent and AILO (conversational.md §2.3, §4): the user's
/// opening request, then per round the agent's turn, the three ratings of it, the user's
/// policy and, unless the user ends, the user's next message — until `end_conversation` or
/// ``rounds`` rounds (round 0 included).
///
/// Success is the target's title (lower-cased substring) in a reply the user saw; recall is the
/// target among the top 5 of any search. A dialogue whose simulated user keeps naming the
/// target, or whose simulator reply stays invalid after every retry, is kept with ending
/// ``DialogueEnding/aborted``, the reason and its turns so far, and counted as a failure (the
/// released code aborts it): decoding is seeded, so a rerun would fail the same way, and one
/// broken dialogue must not stop a run.
public struct DialogueRunner: Sendable {
    public let simulator: UserSimulator
    /// The most rounds, round 0 included (§2.3: 5).
    public var rounds: Int

    public init(simulator: UserSimulator, rounds: Int = 5) {
        self.simulator = simulator
        self.rounds = max(rounds, 1)
    }

    /// The dialogue of `agent` with `persona` looking for `target`.
    /// - Throws: the backends' own errors (a server that cannot be reached); a rerun resumes.
    public func run(agent: ConversationalAgent, persona: Persona, target: CatalogueItem) throws -> DialogueRecord {
        let start = DispatchTime.now().uptimeNanoseconds
        // The agent's and the simulator's ledgers (one ledger when they share it).
        let ledgers = agent.backend.ledger === simulator.chat.backend.ledger
            ? [agent.backend.ledger] : [agent.backend.ledger, simulator.chat.backend.ledger]
        let before = ledgers.map(\.snapshot)
        let id = "\(agent.name)/\(persona.id)"
        var record = DialogueRecord(
            id: id, agent: agent.name, personaId: persona.id, targetId: target.id, targetTitle: target.title,
            turns: [], success: false, recall: false, ending: .roundLimit, abortReason: nil, calls: [:], seconds: 0)
        var transcript: [(speaker: String, text: String)] = []
        var scratchpad: [String] = []
        var userMessage = ""
        var policy = UserPolicy.askRecommendation
        do {
            userMessage = try simulator.respond(
                .init(dialogue: id, turn: 0, persona: persona, target: target, transcript: []), policy: .askRecommendation)
            for round in 0..<rounds {
                transcript.append(("User", userMessage))
                scratchpad.append("User: " + userMessage)
                let (steps, action) = try agent.turn(scratchpad: &scratchpad, dialogue: id, turn: round)
                let visible = ConversationalAgent.visibleText(of: action)
                transcript.append(("Assistant", visible))
                record.success = record.success || TitleMatching.contains(visible, title: target.title)
                record.recall = record.recall || steps.contains { $0.retrievedIds?.contains(target.id) ?? false }
                let context = UserSimulator.Context(dialogue: id, turn: round, persona: persona, target: target, transcript: transcript)
                var turn = DialogueTurn(
                    index: round, userMessage: userMessage, userPolicy: policy.rawValue, agentSteps: steps,
                    agentAction: action, ratings: nil)
                turn.ratings = try simulator.rate(context)
                record.turns.append(turn)
                guard round + 1 < rounds else { break }
                policy = try simulator.choosePolicy(context).policy
                if policy == .endConversation {
                    record.ending = .userEnded
                    break
                }
                userMessage = try simulator.respond(
                    UserSimulator.Context(dialogue: id, turn: round + 1, persona: persona, target: target, transcript: transcript),
                    policy: policy)
            }
        } catch let error as ConversationError {
            record.ending = .aborted
            record.abortReason = error.description
            record.success = false
        }
        for (ledger, earlier) in zip(ledgers, before) {
            record.calls.merge(ledger.difference(since: earlier)) { CallLedger.Entry(calls: $0.calls + $1.calls, seconds: $0.seconds + $1.seconds) }
        }
        record.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return record
    }
}
