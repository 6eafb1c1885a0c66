import Foundation

extension ECPOPipeline {
    /// Gathers every stage's files into the report and writes report.md, report.json and
    /// satisfaction.svg.
    func makeReport(_ context: Context) throws -> ECPOReport {
        let verdicts = try StageFile.readLines(PairwiseJudge.Verdict.self, from: path("judgements.jsonl"))
        var dialogues: [AgentKind: [DialogueRecord]] = [:]
        var results: [ECPOReport.AgentResult] = []
        for kind in evaluatedAgents(context) {
            let records = try evaluation(kind)
            dialogues[kind] = records
            let judged = verdicts.filter { $0.candidate == kind.rawValue }
            let own = judged.filter { $0.failure == nil }
            let success = ECPOReport.meanAndError(records.map { $0.success ? 1 : 0 })
            let winRate = ECPOReport.meanAndError(own.map(\.winRate))
            var criteria: [String: Double] = [:]
            for criterion in PairwiseJudge.criteria {
                criteria[criterion] = ECPOReport.meanAndError(own.map { $0.scores[criterion] ?? 0 }).mean
            }
            let model: String
            switch kind {
            case .expert: model = context.expert.modelName
            case .base: model = context.policy.modelName
            case .sgpt, .ecpo: model = try tunedModel(kind, context).modelName
            }
            results.append(
                ECPOReport.AgentResult(
                    agent: kind, model: model, metrics: DialogueMetrics(records), successStandardError: success.error,
                    winRate: winRate.mean, winRateStandardError: winRate.error, criteria: criteria,
                    judgeFailures: judged.count - own.count))
        }
        let winRates = Dictionary(verdicts.filter { $0.failure == nil }.map { ("\($0.candidate)/\($0.personaId)", $0.winRate) }, uniquingKeysWith: { first, _ in first })
        var differences: [ECPOReport.Difference] = []
        for (before, after) in [(AgentKind.base, AgentKind.sgpt), (.sgpt, .ecpo), (.base, .ecpo)] {
            let (earlier, later) = (dialogues[before] ?? [], dialogues[after] ?? [])
            differences.append(ECPOReport.difference("SR \(after.rawValue) − \(before.rawValue)", before: earlier, after: later) { $0.success ? 1 : 0 })
            differences.append(ECPOReport.difference("WR \(after.rawValue) − \(before.rawValue)", before: earlier, after: later) { winRates[$0.id] ?? 0.5 })
            differences.append(ECPOReport.difference("mean e_t \(after.rawValue) − \(before.rawValue)", before: earlier, after: later) {
                DialogueMetrics.averageWithoutZeros($0.ratings.map { Double($0.expression) })
            })
        }
        func optional<Value: Decodable>(_ type: Value.Type, _ name: String) throws -> Value? {
            StageFile.exists(path(name)) ? try StageFile.readJSON(type, from: path(name)) : nil
        }
        let expertTraining = StageFile.exists(path("expert-train.jsonl"))
            ? try StageFile.readLines(DialogueRecord.self, from: path("expert-train.jsonl")) : []
        let models = configuration.models
        let report = ECPOReport(
            name: configuration.name, seed: configuration.seed,
            models: [
                "policy": context.policy.modelName, "expert": models.expert.name, "simulator": models.simulator.name,
                "rewriter": models.rewriter.name, "judge": models.judge.name,
                "embedder": URL(fileURLWithPath: models.embedder).lastPathComponent,
            ],
            trainingPersonas: context.train.count, testPersonas: context.test.count, threshold: configuration.threshold,
            agents: results, differences: differences,
            planningTuning: try optional(AdapterTrainer.Report.self, "sgpt-training.json"),
            preferenceOptimisation: try optional(AdapterTrainer.Report.self, "ecpo-training.json"),
            pairs: try optional(PreferencePairBuilder.Statistics.self, "ecpo-pairs-statistics.json"),
            expertTrainingSuccess: expertTraining.isEmpty ? nil : ECPOReport.meanAndError(expertTraining.map { $0.success ? 1 : 0 }).mean,
            costs: costs)
        try StageFile.writeJSON(report, to: path("report.json"))
        try AtomicFile.write(Data(report.markdown.utf8), to: path("report.md"))
        try AtomicFile.write(Data(report.satisfactionChart.utf8), to: path("satisfaction.svg"))
        return report
    }
}
