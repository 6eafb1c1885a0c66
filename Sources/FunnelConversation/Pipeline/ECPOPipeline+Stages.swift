import Foundation
import FunnelLanguage

extension ECPOPipeline {
    /// The dialogues of `agent` with `personas` into the journal `file` (skipped when `file`
    /// is complete; resumed after its last finished dialogue).
    func dialogues(agent: ConversationalAgent, personas: [Persona], file: String, context: Context) throws {
        guard !StageFile.exists(path(file)) else { return }
        let journal = try StageJournal<DialogueRecord>(path: path(file))
        let done = Set(journal.records.map(\.personaId))
        for (index, persona) in personas.enumerated() where !done.contains(persona.id) {
            guard let targetId = persona.targetIds.first, let target = context.catalogue.item(id: targetId) else { continue }
            let record = try context.runner.run(agent: agent, persona: persona, target: target)
            try journal.append(record)
            progress(
                "[\(agent.name)] \(index + 1)/\(personas.count) \(persona.id): \(record.turns.count) turns, "
                    + "success \(record.success ? "yes" : "no"), recall \(record.recall ? "yes" : "no"), "
                    + "e_t \(record.ratings.map { String($0.expression) }.joined(separator: " ")), "
                    + String(format: "%.1f s", record.seconds))
        }
        try journal.finish()
    }

    /// Stage 1b: SGPT's data from the expert's successful dialogues, in LLaMA-Factory's alpaca
    /// format, and LoRA SFT of the policy on it (no adapter when there is no data).
    func planningTuning(_ context: Context) throws {
        let dataPath = path("sgpt-train.json")
        if !StageFile.exists(dataPath) {
            let expert = try StageFile.readLines(DialogueRecord.self, from: path("expert-train.jsonl"))
            try StageFile.writeJSON(PlanningDataBuilder.records(from: expert), to: dataPath)
        }
        let reportPath = path("sgpt-training.json")
        guard !StageFile.exists(reportPath) else { return }
        let records = try StageFile.readJSON([SupervisedRecord].self, from: dataPath)
        guard !records.isEmpty else {
            progress("[sgpt] no successful expert dialogue: SGPT has no data and keeps the base model")
            try StageFile.writeJSON(AdapterTrainer.Report(examples: 0, trainingExamples: 0, validationExamples: 0, truncated: 0, optimizerSteps: 0), to: reportPath)
            return
        }
        let (adapter, report) = try modelWork {
            try AdapterTrainer.supervised(base: try policyModel(), records: records, options: configuration.planningTuning) { self.progress("[sgpt] " + $0) }
        }
        try adapter.saveParameters(to: path("sgpt-adapter.safetensors"))
        try StageFile.writeJSON(report, to: reportPath)
    }

    /// One dialogue's rewrites (the journal record of stage 3).
    struct Rewrites: Codable {
        var dialogueId: String
        var records: [PreferenceRecord]
        var statistics: PreferencePairBuilder.Statistics
    }

    /// Stage 3: the rewrites of every SGPT rollout's turns below λ, journalled per dialogue,
    /// then the pairs in LLaMA-Factory's pairwise format, TRL's conversational format, SFT
    /// copies, and the filter's statistics.
    func rewriting(_ context: Context) throws {
        let pairsPath = path("ecpo-pairs.json")
        guard !StageFile.exists(pairsPath) else { return }
        let rollouts = try StageFile.readLines(DialogueRecord.self, from: path("sgpt-rollouts.jsonl"))
        let journal = try StageJournal<Rewrites>(path: path("rewrites.jsonl"))
        let done = Set(journal.records.map(\.dialogueId))
        let builder = PreferencePairBuilder(threshold: configuration.threshold)
        for dialogue in rollouts where !done.contains(dialogue.id) {
            let (records, statistics) = try builder.pairs(from: [dialogue], rewriter: context.rewriter)
            try journal.append(Rewrites(dialogueId: dialogue.id, records: records, statistics: statistics))
            progress("[rewriting] \(dialogue.id): \(statistics.selected) of \(statistics.steps) steps below λ, \(statistics.kept) kept")
        }
        try journal.finish()
        let records = journal.records.flatMap(\.records)
        var total = PreferencePairBuilder.Statistics()
        for part in journal.records.map(\.statistics) {
            total.steps += part.steps
            total.selected += part.selected
            total.kept += part.kept
            total.dropped.merge(part.dropped, uniquingKeysWith: +)
        }
        try StageFile.writeLines(records.map(\.trlLine), to: path("ecpo-pairs-trl.jsonl"))
        try StageFile.writeJSON(
            records.map { SupervisedRecord(instruction: $0.instruction, output: $0.chosen, source: $0.source) }, to: path("ecpo-sft.json"))
        try StageFile.writeJSON(total, to: path("ecpo-pairs-statistics.json"))
        try StageFile.writeJSON(records, to: pairsPath)
    }

    /// Stage 4: DPO of the SGPT model against itself, frozen, on the pairs.
    func preferenceOptimisation(_ context: Context) throws {
        let reportPath = path("ecpo-training.json")
        guard !StageFile.exists(reportPath) else { return }
        let records = try StageFile.readJSON([PreferenceRecord].self, from: path("ecpo-pairs.json"))
        guard !records.isEmpty else {
            progress("[ecpo] no preference pair: ECPO keeps the SGPT model")
            try StageFile.writeJSON(AdapterTrainer.Report(examples: 0, trainingExamples: 0, validationExamples: 0, truncated: 0, optimizerSteps: 0), to: reportPath)
            return
        }
        guard let reference = try tunedModel(.sgpt, context).backend as? LanguageModel else {
            throw ConversationError.file(path("ecpo-pairs.json"), "DPO needs the in-process policy model")
        }
        let (adapter, report) = try modelWork {
            try AdapterTrainer.preference(reference: reference, records: records, options: configuration.preferenceOptimisation) { self.progress("[ecpo] " + $0) }
        }
        try adapter.saveParameters(to: path("ecpo-adapter.safetensors"))
        try StageFile.writeJSON(report, to: reportPath)
    }

    /// The dialogues of `kind` with the test personas.
    func evaluation(_ kind: AgentKind) throws -> [DialogueRecord] {
        try StageFile.readLines(DialogueRecord.self, from: path("evaluation-\(kind.rawValue).jsonl"))
    }

    /// The win rate of every evaluated agent against the expert, persona by persona.
    func judging(_ context: Context) throws {
        guard !StageFile.exists(path("judgements.jsonl")) else { return }
        let reference = try evaluation(context.expertIsBase ? .base : .expert)
        let byPersona = Dictionary(reference.map { ($0.personaId, $0) }, uniquingKeysWith: { first, _ in first })
        let journal = try StageJournal<PairwiseJudge.Verdict>(path: path("judgements.jsonl"))
        let done = Set(journal.records.map { "\($0.candidate)/\($0.personaId)" })
        for kind in evaluatedAgents(context) {
            for candidate in try evaluation(kind) where !done.contains(candidate.id) {
                guard let expert = byPersona[candidate.personaId] else { continue }
                var verdict: PairwiseJudge.Verdict
                do {
                    verdict = try context.judge.judge(candidate: candidate, expert: expert)
                } catch let error as ConversationError {
                    verdict = PairwiseJudge.Verdict(
                        personaId: candidate.personaId, candidate: kind.rawValue, scores: [:], winRate: 0.5, reasons: [],
                        failure: error.description)
                }
                verdict.candidate = kind.rawValue
                try journal.append(verdict)
                progress("[judging] \(candidate.id): win rate \(String(format: "%.2f", verdict.winRate))")
            }
        }
        try journal.finish()
    }
}
