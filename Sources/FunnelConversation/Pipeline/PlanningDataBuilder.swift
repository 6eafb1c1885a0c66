import Foundation

/// SGPT's data filter (conversational.md §3 stage 1, §5.4): from the expert agent's dialogues
/// with the training personas, only the successful ones (the target's title reached the user);
/// every valid action step of those becomes a supervised example whose input is the step's
/// prompt with the few-shot block removed and whose output is the action.
///
/// [ASSUMED] Steps whose action stayed invalid after every retry are left out: the released
/// code trains on the action strings of successful dialogues, where an invalid one would teach
/// the grammar's violation.
public enum PlanningDataBuilder {
    /// The supervised records of `dialogues`.
    public static func records(from dialogues: [DialogueRecord]) -> [SupervisedRecord] {
        var records: [SupervisedRecord] = []
        for dialogue in dialogues where dialogue.success {
            for turn in dialogue.turns {
                for (index, step) in turn.agentSteps.enumerated() where step.kind != nil {
                    records.append(
                        SupervisedRecord(
                            instruction: step.trainingPrompt, output: step.output,
                            source: "\(dialogue.id)#\(turn.index).\(index)"))
                }
            }
        }
        return records
    }
}
