/// The stages of `funnel ecpo run`, in order (conversational.md §3–§4). Each leaves files in
/// the run folder; a rerun skips every stage whose files are complete and resumes a dialogue
/// stage after its last finished dialogue.
public enum ECPOStage: String, CaseIterable, Codable, Sendable {
    /// Personas and item embeddings.
    case setup
    /// Stage 1a: the expert agent with the training personas.
    case expertDialogues = "expert-dialogues"
    /// Stage 1b: SGPT's supervised data and LoRA SFT.
    case planningTuning = "sgpt"
    /// Stage 2: the SGPT agent with the training personas, every turn rated (forward
    /// expectation confirmation).
    case rollouts
    /// Stage 3: rewriting the turns below λ (backward expectation derivation).
    case rewriting
    /// Stage 4: DPO on the preference pairs.
    case preferenceOptimisation = "ecpo"
    /// Every agent with the test personas.
    case evaluation
    /// The pairwise win rates against the expert.
    case judging
    /// report.md, report.json and the satisfaction chart.
    case report
}

/// The cost of one stage in this run (a stage skipped because its files exist is left out).
public struct StageCost: Codable, Sendable, Equatable {
    public var stage: ECPOStage
    public var seconds: Double
    /// Language-model calls and their seconds.
    public var calls: Int
    public var callSeconds: Double
    /// Seconds spent training, embedding items or loading models (model compute outside calls).
    public var modelSeconds: Double

    /// Everything but model work: the pipeline's own overhead.
    public var overheadSeconds: Double { max(seconds - callSeconds - modelSeconds, 0) }
}
