import Foundation
import FunnelLanguage
import Testing

@testable import FunnelConversation

/// The whole pipeline on a fixture catalogue with scripted models: every stage's files, the
/// report, and a resume after a failure that loses nothing finished.
@Suite struct ECPOPipelineTests {
    /// Six movies; four users who each like three of them.
    static func dataFolder() throws -> String {
        let folder = try temporaryFolder()
        try write(fixtureMovies, to: "movies.csv", in: folder)
        try write(fixtureTags, to: "tags.csv", in: folder)
        var ratings = "userId,movieId,rating,timestamp\n"
        for (user, movies) in [(1, [1, 6, 17]), (2, [1, 2, 10]), (3, [6, 10, 17]), (4, [1, 2, 6])] {
            for (index, movie) in movies.enumerated() { ratings += "\(user),\(movie),5.0,\(1000 + index)\n" }
        }
        try write(ratings, to: "ratings.csv", in: folder)
        return folder.path
    }

    static func configuration(output: String, data: String) -> ECPOConfiguration {
        var configuration = ECPOConfiguration.defaults
        configuration.output = output
        configuration.data.folder = data
        configuration.personas = PersonaBuilder.Options(seed: 1, trainCount: 2, testCount: 2, minimumLikedItems: 3, likedTitleCount: 1, targetCount: 1)
        configuration.rounds = 2
        return configuration
    }

    /// A simulator that fails with a transport error once `failures` calls have been made while
    /// `armed`.
    final class FlakySimulator: LanguageModelBackend, @unchecked Sendable {
        struct Outage: Error {}
        let inner = DialogueRunnerTests.simulator()
        let lock = NSLock()
        var remaining: Int?

        init(failAfter calls: Int?) {
            remaining = calls
        }

        func chat(_ messages: [ChatMessage], options: SamplingOptions, format: ResponseFormat) throws -> String {
            try lock.withLock {
                if let left = remaining {
                    if left == 0 { throw Outage() }
                    remaining = left - 1
                }
            }
            return try inner.chat(messages, options: options, format: format)
        }

        func logProbability(messages: [ChatMessage], completion: String) throws -> Double { 0 }
    }

    func overrides(simulator: any LanguageModelBackend, agent: ScriptedBackend) -> ECPOPipeline.Overrides {
        ECPOPipeline.Overrides(
            backends: [
                "policy": agent, "expert": agent, "simulator": simulator,
                "rewriter": ScriptedBackend(replies: [#"{"reason": "r", "refinement": "Ask[Which genre?]"}"#]),
                "judge": ScriptedBackend(replies: [#"{"reason": "r", "flexibility": "A", "coherence": "B", "guidance": "tie"}"#]),
            ],
            embedder: KeywordEmbedder())
    }

    @Test func runsEveryStageAndResumesWithoutRedoingFinishedDialogues() throws {
        let output = try temporaryFolder().path + "/run"
        let configuration = Self.configuration(output: output, data: try Self.dataFolder())
        let agent = ScriptedBackend(replies: ["Ask[Which genre?]"])
        // A two-round dialogue whose user never ends costs 9 simulator calls: the opening, three
        // ratings, the policy and the reply, then three ratings. Expert and rollout dialogues
        // (2 + 2) take 36; fail within the evaluation's second dialogue.
        let flaky = FlakySimulator(failAfter: 4 * 9 + 9 + 3)
        #expect(throws: FlakySimulator.Outage.self) {
            try ECPOPipeline(configuration: configuration, overrides: overrides(simulator: flaky, agent: agent)).run()
        }
        for file in ["personas-train.jsonl", "personas-test.jsonl", "item-embeddings.bin", "expert-train.jsonl", "sgpt-train.json",
                     "sgpt-training.json", "sgpt-rollouts.jsonl", "ecpo-pairs.json", "ecpo-pairs-trl.jsonl", "ecpo-sft.json",
                     "ecpo-pairs-statistics.json", "ecpo-training.json", "evaluation-base.jsonl.partial", "costs.json"] {
            #expect(FileManager.default.fileExists(atPath: output + "/" + file), "\(file)")
        }
        let finished = try StageFile.readLines(DialogueRecord.self, from: output + "/evaluation-base.jsonl.partial")
        #expect(finished.count == 1)
        let agentCallsBefore = agent.calls.count

        let report = try #require(try ECPOPipeline(configuration: configuration, overrides: overrides(simulator: FlakySimulator(failAfter: nil), agent: agent)).run())
        // The finished dialogue was kept: the resumed stage ran 1 more base dialogue and 2 each for SGPT and ECPO.
        #expect(agent.calls.count - agentCallsBefore == 5 * 2)
        let base = try StageFile.readLines(DialogueRecord.self, from: output + "/evaluation-base.jsonl")
        #expect(base.count == 2 && base[0] == finished[0])
        #expect(report.agents.map(\.agent) == [.base, .sgpt, .ecpo])
        #expect(report.agents.allSatisfy { $0.metrics.dialogues == 2 && $0.metrics.successRate == 0 })
        // No success, so no SGPT data; identical rewrites, so no pairs: both keep the model below.
        #expect(report.planningTuning?.examples == 0)
        #expect(report.preferenceOptimisation?.examples == 0)
        #expect(report.pairs?.dropped == ["identical to the original": report.pairs?.selected ?? -1])
        #expect(report.agents[1].model == "policy override (no sgpt data)")
        // Identical dialogues tie at 0.5 without a judge call.
        #expect(report.agents.allSatisfy { $0.winRate == 0.5 })
        #expect(report.overheadFraction >= 0 && report.overheadFraction <= 1)
        #expect(try String(contentsOfFile: output + "/report.md", encoding: .utf8).contains("| base | policy override |"))
        #expect(try String(contentsOfFile: output + "/satisfaction.svg", encoding: .utf8).contains("<polyline"))
        #expect(try StageFile.readJSON(ECPOReport.self, from: output + "/report.json") == report)
        #expect(Set(report.costs.map(\.stage)) == Set(ECPOStage.allCases.filter { $0 != .report }))
    }
}
