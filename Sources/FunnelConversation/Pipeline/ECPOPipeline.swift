import Foundation
import FunnelLanguage
import FunnelNN
import FunnelTensor

/// `funnel ecpo run`: ECPO end to end (conversational.md §3–§4) — personas and the retriever,
/// the expert's dialogues and SGPT, the SGPT agent's rated rollouts, the rewrites below λ, DPO,
/// the evaluation of every agent with the test personas, the judge's win rates and the report.
///
/// Every stage reads its inputs from, and writes its outputs to, files in the run folder
/// (``ECPOStage``); dialogue stages journal each finished dialogue, so an interrupted run loses
/// at most the dialogue in progress. The same configuration and thread count give the same
/// files (greedy decoding, seeded retries and training).
public final class ECPOPipeline {
    /// Backends and an embedder used instead of the configured models (tests; an application
    /// with its own clients). Keys are role names: `policy`, `expert`, `simulator`, `rewriter`,
    /// `judge`. The policy is still loaded from its GGUF when a stage trains it.
    public struct Overrides {
        public var backends: [String: any LanguageModelBackend]
        public var embedder: (any TextEmbedder)?

        public init(backends: [String: any LanguageModelBackend] = [:], embedder: (any TextEmbedder)? = nil) {
            self.backends = backends
            self.embedder = embedder
        }
    }

    public let configuration: ECPOConfiguration
    let overrides: Overrides
    let progress: (String) -> Void
    let ledger = CallLedger()
    let folder: String
    var costs: [StageCost] = []
    var models: [String: LanguageModel] = [:]
    var modelSeconds = 0.0

    public init(configuration: ECPOConfiguration, overrides: Overrides = Overrides(), progress: @escaping (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.overrides = overrides
        self.progress = progress
        folder = configuration.output
    }

    func path(_ name: String) -> String { folder + "/" + name }

    /// Runs every stage not yet done, up to and including `last`; returns the report when the
    /// report stage ran.
    @discardableResult
    public func run(through last: ECPOStage = .report) throws -> ECPOReport? {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if StageFile.exists(path("costs.json")) {
            costs = try StageFile.readJSON([StageCost].self, from: path("costs.json"))
        }
        return try Compute.withThreads(configuration.threads) {
            let context = try stage(.setup) { try setUp() }
            var report: ECPOReport?
            for stage in ECPOStage.allCases.dropFirst() {
                guard ECPOStage.allCases.firstIndex(of: stage)! <= ECPOStage.allCases.firstIndex(of: last)! else { break }
                try self.stage(stage) {
                    switch stage {
                    case .setup: break
                    case .expertDialogues: try dialogues(agent: context.expertAgent, personas: context.train, file: "expert-train.jsonl", context: context)
                    case .planningTuning: try planningTuning(context)
                    case .rollouts: try dialogues(agent: try agent(.sgpt, context), personas: context.train, file: "sgpt-rollouts.jsonl", context: context)
                    case .rewriting: try rewriting(context)
                    case .preferenceOptimisation: try preferenceOptimisation(context)
                    case .evaluation:
                        for kind in evaluatedAgents(context) {
                            try dialogues(agent: try agent(kind, context), personas: context.test, file: "evaluation-\(kind.rawValue).jsonl", context: context)
                        }
                    case .judging: try judging(context)
                    case .report: report = try makeReport(context)
                    }
                }
            }
            return report
        }
    }

    /// Runs `body` as `stage`, recording its cost (also when it fails: a resumed stage's cost
    /// adds up over its attempts, and a skipped one adds almost nothing).
    private func stage<Result>(_ stage: ECPOStage, _ body: () throws -> Result) throws -> Result {
        progress("[\(stage.rawValue)] start")
        let start = DispatchTime.now().uptimeNanoseconds
        let (calls, callSeconds, model) = (ledger.totalCalls, ledger.totalSeconds, modelSeconds)
        func record() throws -> Double {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let index = costs.firstIndex { $0.stage == stage } ?? {
                costs.append(StageCost(stage: stage, seconds: 0, calls: 0, callSeconds: 0, modelSeconds: 0))
                return costs.count - 1
            }()
            costs[index].seconds += seconds
            costs[index].calls += ledger.totalCalls - calls
            costs[index].callSeconds += ledger.totalSeconds - callSeconds
            costs[index].modelSeconds += modelSeconds - model
            try StageFile.writeJSON(costs, to: path("costs.json"))
            return seconds
        }
        let result: Result
        do {
            result = try body()
        } catch {
            _ = try? record()
            throw error
        }
        let seconds = try record()
        progress("[\(stage.rawValue)] done in \(String(format: "%.1f", seconds)) s, \(ledger.totalCalls - calls) calls")
        return result
    }

    /// Times model work outside calls (loading, embedding, training).
    func modelWork<Result>(_ body: () throws -> Result) rethrows -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { modelSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }
}
