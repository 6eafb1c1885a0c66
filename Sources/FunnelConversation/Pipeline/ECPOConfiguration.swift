import Foundation
import FunnelLanguage
import FunnelModels

/// The settings of `funnel ecpo run` (conversational.md §2–§4), read from a JSON file over
/// ``defaults`` so a configuration names only what it changes; an unknown or mistyped field is
/// refused with its path (FunnelModels' `StrictJSON`).
public struct ECPOConfiguration: Codable, Sendable, Equatable {
    /// Where the item catalogue and the users come from.
    public struct DataSource: Codable, Sendable, Equatable {
        /// `movielens` (a MovieLens folder: movies.csv, tags.csv, ratings.csv) or `json-lines`
        /// (an items JSONL and a ratings CSV, e.g. a converted Amazon or Yelp set).
        public var kind: String
        /// The MovieLens folder.
        public var folder: String
        /// The `json-lines` files.
        public var items: String
        public var ratings: String
    }

    /// A model for one role: a GGUF file run in process, or a model served by an
    /// OpenAI-compatible server (`url` set; `apiKeyVariable` names the environment variable
    /// holding its key).
    public struct ModelSource: Codable, Sendable, Equatable, Hashable {
        public var gguf: String
        public var url: String
        public var model: String
        public var apiKeyVariable: String

        public init(gguf: String = "", url: String = "", model: String = "", apiKeyVariable: String = "") {
            self.gguf = gguf
            self.url = url
            self.model = model
            self.apiKeyVariable = apiKeyVariable
        }

        /// What a report calls it.
        public var name: String {
            url.isEmpty ? URL(fileURLWithPath: gguf).lastPathComponent : "\(model) at \(url)"
        }
    }

    /// The models of every role (§6): the policy being trained (a GGUF: SFT and DPO run in
    /// Funnel's engine), the expert agent of SGPT's data and the win rate, AILO, the rewriter,
    /// the judge, and the MiniLM folder of the retriever.
    public struct Models: Codable, Sendable, Equatable {
        public var policy: String
        public var expert: ModelSource
        public var simulator: ModelSource
        public var rewriter: ModelSource
        public var judge: ModelSource
        public var embedder: String
    }

    /// The agent's settings (§2.2).
    public struct Agent: Codable, Sendable, Equatable {
        public var constrainsActions: Bool
        public var attempts: Int
        public var maximumStepsPerTurn: Int
        public var maximumActionTokens: Int
        public var scratchpadCharacterLimit: Int
    }

    public var name: String
    /// The run folder: every stage's output is a file here, so a rerun resumes.
    public var output: String
    public var seed: UInt64
    /// Compute threads of the in-process models.
    public var threads: Int
    public var data: DataSource
    /// How personas are built when the folder has no persona files yet.
    public var personas: PersonaBuilder.Options
    public var models: Models
    public var agent: Agent
    /// Rounds per dialogue, round 0 included (§2.3: 5).
    public var rounds: Int
    /// Retries of a simulator, rewriter or judge reply (``StructuredChat/attempts``).
    public var replyAttempts: Int
    /// λ: turns with `e_t < λ` are rewritten (§3 stage 3).
    public var threshold: Int
    public var planningTuning: AdapterTrainingOptions
    public var preferenceOptimisation: AdapterTrainingOptions

    /// The defaults: MovieLens latest-small from `../shared/data`, SmolLM2-135M in every role
    /// and MiniLM for retrieval from the model cache, 40 training and 20 test personas, the
    /// paper's rounds, threshold and training settings.
    public static let defaults: ECPOConfiguration = {
        let smolLM = ModelSource(gguf: LanguageModelCache.smolLM2GGUF)
        return ECPOConfiguration(
            name: "ecpo", output: "runs/ecpo", seed: 0, threads: 2,
            data: DataSource(kind: "movielens", folder: "../shared/data/movielens-latest-small", items: "", ratings: ""),
            personas: PersonaBuilder.Options(),
            models: Models(
                policy: LanguageModelCache.smolLM2GGUF, expert: smolLM, simulator: smolLM, rewriter: smolLM, judge: smolLM,
                embedder: LanguageModelCache.miniLMFolder),
            agent: Agent(
                constrainsActions: true, attempts: 3, maximumStepsPerTurn: 4, maximumActionTokens: 64,
                scratchpadCharacterLimit: 2400),
            rounds: 5, replyAttempts: 3, threshold: 4,
            planningTuning: .planningTuning, preferenceOptimisation: .preferenceOptimisation)
    }()

    /// Reads `path` over ``defaults``.
    /// - Throws: ``ConversationError`` naming the file and the field.
    public static func load(path: String) throws -> ECPOConfiguration {
        let configuration: ECPOConfiguration
        do {
            configuration = try StrictJSON.decode(
                ECPOConfiguration.self, from: try StrictJSON.readFile(path), defaults: defaults)
        } catch let error as StrictJSON.Error {
            throw ConversationError.file(path, error.description)
        }
        try configuration.validate(path: path)
        return configuration
    }

    /// Refuses settings out of range, naming the field.
    public func validate(path: String) throws {
        func refuse(_ field: String, _ expected: String) -> ConversationError {
            ConversationError.file(path, field: field, "expected \(expected)")
        }
        guard ["movielens", "json-lines"].contains(data.kind) else { throw refuse("data.kind", "movielens or json-lines") }
        guard threads >= 1 else { throw refuse("threads", "at least 1") }
        guard rounds >= 1 else { throw refuse("rounds", "at least 1") }
        guard replyAttempts >= 1 else { throw refuse("replyAttempts", "at least 1") }
        guard (1...6).contains(threshold) else { throw refuse("threshold", "1 to 6 (turns with satisfaction below it are rewritten)") }
        guard agent.attempts >= 1 else { throw refuse("agent.attempts", "at least 1") }
        guard agent.maximumStepsPerTurn >= 1 else { throw refuse("agent.maximumStepsPerTurn", "at least 1") }
        guard agent.maximumActionTokens >= 4 else { throw refuse("agent.maximumActionTokens", "at least 4") }
        guard personas.testCount >= 1, personas.trainCount >= 1 else { throw refuse("personas", "at least one training and one test persona") }
        guard !models.policy.isEmpty else { throw refuse("models.policy", "a GGUF file (the policy is fine-tuned in process)") }
        for (field, source) in [("expert", models.expert), ("simulator", models.simulator), ("rewriter", models.rewriter), ("judge", models.judge)] {
            guard source.gguf.isEmpty != source.url.isEmpty else {
                throw refuse("models.\(field)", "exactly one of \"gguf\" (a file) or \"url\" (an OpenAI-compatible server)")
            }
        }
        if let problem = planningTuning.problem { throw refuse("planningTuning.\(problem.field)", problem.expected) }
        if let problem = preferenceOptimisation.problem { throw refuse("preferenceOptimisation.\(problem.field)", problem.expected) }
    }
}
