import Foundation

/// The LoRA fine-tuning settings of SGPT and ECPO (conversational.md §3 stages 1 and 4; the
/// released `sft.sh` and `dpo.sh` over LLaMA-Factory's defaults): learning rate, epochs, a
/// cosine schedule after a linear warm-up over the first 10 % of optimizer steps, per-device
/// batch 1 with gradient accumulation, 10 % held out for validation, a 2,048-token cutoff,
/// LoRA of rank 8 and alpha 16 on every linear layer, and DPO's `β`.
public struct AdapterTrainingOptions: Codable, Sendable, Equatable {
    public var learningRate: Float
    public var epochs: Int
    /// Examples per optimizer step (batch 1 × accumulation).
    public var accumulation: Int
    public var warmupRatio: Double
    public var validationFraction: Double
    /// The most tokens of prompt and completion together; longer prompts lose their oldest
    /// tokens, never the completion (§7).
    public var cutoffTokens: Int
    public var rank: Int
    public var alpha: Float
    /// DPO's `β` (unused by SFT).
    public var beta: Float
    /// Seeds the adapters' initial `A`, the validation split and the epoch order.
    public var seed: UInt64

    public init(
        learningRate: Float, epochs: Int = 3, accumulation: Int, warmupRatio: Double = 0.1,
        validationFraction: Double = 0.1, cutoffTokens: Int = 2048, rank: Int = 8, alpha: Float = 16,
        beta: Float = 0.1, seed: UInt64 = 0
    ) {
        self.learningRate = learningRate
        self.epochs = epochs
        self.accumulation = accumulation
        self.warmupRatio = warmupRatio
        self.validationFraction = validationFraction
        self.cutoffTokens = cutoffTokens
        self.rank = rank
        self.alpha = alpha
        self.beta = beta
        self.seed = seed
    }

    /// SGPT's SFT (§3 stage 1): lr 5e-5, 3 epochs, batch 1 × accumulation 8.
    public static let planningTuning = AdapterTrainingOptions(learningRate: 5e-5, accumulation: 8)
    /// ECPO's DPO (§3 stage 4): lr 1e-6, 3 epochs, batch 1 × accumulation 32, β 0.1.
    public static let preferenceOptimisation = AdapterTrainingOptions(learningRate: 1e-6, accumulation: 32)

    /// The first setting out of range, as `(field, expected)`, or `nil`.
    public var problem: (field: String, expected: String)? {
        if !(learningRate > 0 && learningRate.isFinite) { return ("learningRate", "a positive number") }
        if epochs < 1 { return ("epochs", "at least 1") }
        if accumulation < 1 { return ("accumulation", "at least 1") }
        if !(0..<1).contains(warmupRatio) { return ("warmupRatio", "0 ≤ ratio < 1") }
        if !(0..<1).contains(validationFraction) { return ("validationFraction", "0 ≤ fraction < 1") }
        if cutoffTokens < 16 { return ("cutoffTokens", "at least 16") }
        if rank < 1 { return ("rank", "at least 1") }
        if !(alpha > 0 && alpha.isFinite) { return ("alpha", "a positive number") }
        if !(beta > 0 && beta.isFinite) { return ("beta", "a positive number") }
        return nil
    }
}
