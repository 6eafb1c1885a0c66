import Foundation
import FunnelLanguage
import FunnelNN

/// The agents a run compares (conversational.md §4, Table 1).
public enum AgentKind: String, Codable, CaseIterable, Sendable {
    /// The expert ActCRS (its own model, few-shot): SGPT's teacher and the win rate's reference.
    case expert
    /// ActCRS on the untuned policy model, few-shot.
    case base
    /// The policy after SGPT (no few-shot, as it was trained).
    case sgpt
    /// The policy after SGPT and ECPO.
    case ecpo
}

extension ECPOPipeline {
    /// What every stage shares: the data, the retriever and the roles.
    struct Context {
        let catalogue: ItemCatalogue
        let train: [Persona]
        let test: [Persona]
        let retriever: ItemRetriever
        /// The untuned policy as the base agent calls it.
        let policy: RoleBackend
        let expert: RoleBackend
        let runner: DialogueRunner
        let rewriter: StructuredChat
        let judge: PairwiseJudge
        /// Whether the expert is the policy's own model (then the base agent is the expert).
        let expertIsBase: Bool
        let expertAgent: ConversationalAgent
    }

    /// Loads the data, the personas (built once, then read from their files), the retriever
    /// (item embeddings computed once) and the models of every role.
    func setUp() throws -> Context {
        let source: any ItemSource =
            configuration.data.kind == "movielens"
            ? MovieLensSource(folder: configuration.data.folder)
            : JSONLinesItemSource(items: configuration.data.items, ratings: configuration.data.ratings)
        let catalogue = try source.catalogue()
        let (trainPath, testPath) = (path("personas-train.jsonl"), path("personas-test.jsonl"))
        if !StageFile.exists(trainPath) || !StageFile.exists(testPath) {
            let built = try PersonaBuilder(options: configuration.personas).build(catalogue: catalogue, histories: try source.histories())
            try PersonaFile.write(built.train, to: trainPath)
            try PersonaFile.write(built.test, to: testPath)
        }
        let train = try PersonaFile.read(path: trainPath)
        let test = try PersonaFile.read(path: testPath)
        for (file, personas) in [(trainPath, train), (testPath, test)] {
            for (index, persona) in personas.enumerated() where persona.targetIds.first.flatMap(catalogue.item(id:)) == nil {
                throw ConversationError.file(file, line: index + 1, field: "targetIds", "the first target is not in the catalogue \(catalogue.name)")
            }
        }
        let embedder = try overrides.embedder ?? modelWork { try SentenceEmbedder(folder: configuration.models.embedder) }
        let embeddingsPath = path("item-embeddings.bin")
        let retriever: ItemRetriever
        if StageFile.exists(embeddingsPath) {
            retriever = try ItemRetriever.loadEmbeddings(from: embeddingsPath, items: catalogue.items, embedder: embedder)
        } else {
            progress("[setup] embedding \(catalogue.items.count) items")
            retriever = modelWork { ItemRetriever(items: catalogue.items, embedder: embedder) }
            try retriever.saveEmbeddings(to: embeddingsPath)
        }
        let policy = try policyRole()
        let expert = try role("expert", configuration.models.expert)
        let chat = { (name: String, source: ECPOConfiguration.ModelSource) in
            StructuredChat(backend: try self.role(name, source), attempts: self.configuration.replyAttempts, seed: self.configuration.seed)
        }
        let expertIsBase = configuration.models.expert.gguf == configuration.models.policy
        let runner = DialogueRunner(simulator: UserSimulator(chat: try chat("simulator", configuration.models.simulator)), rounds: configuration.rounds)
        return Context(
            catalogue: catalogue, train: train, test: test, retriever: retriever, policy: policy, expert: expert, runner: runner,
            rewriter: try chat("rewriter", configuration.models.rewriter),
            judge: PairwiseJudge(chat: try chat("judge", configuration.models.judge)),
            expertIsBase: expertIsBase,
            expertAgent: makeAgent(name: AgentKind.expert.rawValue, backend: expert, fewShot: true, retriever: retriever))
    }

    /// The in-process model at `path`, loaded once per run.
    func model(_ path: String) throws -> LanguageModel {
        if let loaded = models[path] { return loaded }
        progress("loading \(path)")
        let loaded = try modelWork { try LanguageModel(path: path) }
        models[path] = loaded
        return loaded
    }

    /// The backend of the role `name`: an override when there is one, else an in-process GGUF
    /// or an OpenAI-compatible server.
    func role(_ name: String, _ source: ECPOConfiguration.ModelSource) throws -> RoleBackend {
        if let backend = overrides.backends[name] {
            return RoleBackend(backend: backend, modelName: "\(name) override", ledger: ledger)
        }
        if !source.gguf.isEmpty {
            return RoleBackend(backend: try model(source.gguf), modelName: source.name, ledger: ledger)
        }
        guard let url = URL(string: source.url) else {
            throw ConversationError.file("configuration", field: "models", "\"\(source.url)\" is not a URL")
        }
        let key = source.apiKeyVariable.isEmpty ? nil : ProcessInfo.processInfo.environment[source.apiKeyVariable]
        return RoleBackend(backend: OpenAICompatibleBackend(baseURL: url, model: source.model, apiKey: key), modelName: source.name, ledger: ledger)
    }

    func makeAgent(name: String, backend: RoleBackend, fewShot: Bool, retriever: ItemRetriever) -> ConversationalAgent {
        let settings = configuration.agent
        return ConversationalAgent(
            name: name, backend: backend, retriever: retriever,
            prompt: AgentPrompt(scratchpadCharacterLimit: settings.scratchpadCharacterLimit), includesFewShot: fewShot,
            constrainsActions: settings.constrainsActions, attempts: settings.attempts,
            maximumStepsPerTurn: settings.maximumStepsPerTurn, maximumActionTokens: settings.maximumActionTokens,
            seed: configuration.seed)
    }

    /// The agents evaluated with the test personas: the expert only when it is another model
    /// than the policy (otherwise it is the base agent).
    func evaluatedAgents(_ context: Context) -> [AgentKind] {
        context.expertIsBase ? [.base, .sgpt, .ecpo] : AgentKind.allCases
    }

    /// The agent of `kind`, fine-tuned models built from their adapter files.
    func agent(_ kind: AgentKind, _ context: Context) throws -> ConversationalAgent {
        switch kind {
        case .expert: return context.expertAgent
        case .base:
            return makeAgent(name: kind.rawValue, backend: context.policy, fewShot: true, retriever: context.retriever)
        case .sgpt, .ecpo:
            return makeAgent(name: kind.rawValue, backend: try tunedModel(kind, context), fewShot: false, retriever: context.retriever)
        }
    }

    /// The policy model itself, for training (loaded when first needed).
    func policyModel() throws -> LanguageModel {
        try model(configuration.models.policy)
    }

    /// The untuned policy as the agents call it: the GGUF's weights decoded in Float32, as the
    /// merged SGPT and ECPO models are, so that the agents compared differ by their weights
    /// only — decoding with the file's quantised blocks (faster, other arithmetic) would change
    /// greedy replies by itself and be counted as the effect of training.
    func policyRole() throws -> RoleBackend {
        if let backend = overrides.backends["policy"] {
            return RoleBackend(backend: backend, modelName: "policy override", ledger: ledger)
        }
        let key = configuration.models.policy + "#float32"
        let name = URL(fileURLWithPath: configuration.models.policy).lastPathComponent
        if let loaded = models[key] { return RoleBackend(backend: loaded, modelName: name, ledger: ledger) }
        let file = try policyModel()
        let policy = LanguageModel(
            tokenizer: file.tokenizer, template: file.template,
            model: LlamaModel(weights: file.model.weights, quantisedDecoding: false), path: file.path)
        models[key] = policy
        return RoleBackend(backend: policy, modelName: name, ledger: ledger)
    }

    /// The SGPT or ECPO model as a role: the policy (for ECPO, the SGPT model) with its adapter
    /// merged, or the model below it unchanged when the stage had no data to train on.
    func tunedModel(_ kind: AgentKind, _ context: Context) throws -> RoleBackend {
        let below = kind == .ecpo ? try tunedModel(.sgpt, context) : context.policy
        let adapterPath = path(kind == .sgpt ? "sgpt-adapter.safetensors" : "ecpo-adapter.safetensors")
        guard StageFile.exists(adapterPath) else {
            return RoleBackend(backend: below.backend, modelName: below.modelName + " (no \(kind.rawValue) data)", ledger: ledger)
        }
        let name = below.modelName + (kind == .sgpt ? " + SGPT" : " + ECPO")
        if let loaded = models[adapterPath] { return RoleBackend(backend: loaded, modelName: name, ledger: ledger) }
        guard let base = below.backend as? LanguageModel else {
            throw ConversationError.file(adapterPath, "an adapter needs the in-process policy model below it")
        }
        let options = kind == .sgpt ? configuration.planningTuning : configuration.preferenceOptimisation
        let merged = try modelWork {
            let adapter = LlamaAdapterModel(model: base.model, rank: options.rank, alpha: options.alpha, seed: options.seed)
            try adapter.loadParameters(from: adapterPath)
            return LanguageModel(
                tokenizer: base.tokenizer, template: base.template,
                model: LlamaModel(weights: try adapter.mergedWeights()), path: adapterPath)
        }
        models[adapterPath] = merged
        return RoleBackend(backend: merged, modelName: name, ledger: ledger)
    }
}
