import FunnelNN

/// SASRec's configuration (sequential.md §1): the variant, the loss, the sizes, the columns of a
/// leave-one-out sequence dataset (`funnel data sequences`), and the evaluation protocols.
public struct SASRecConfiguration: ModelConfiguration, Equatable {
    /// The three architectures of §1.1–§1.2, named in every config (§1.4).
    public enum Variant: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// kang205/SASRec: `E·√d + P`, pre-LN blocks whose residual adds the normalised query,
        /// no attention output projection, ReLU FFN of width d, final LN, left padding.
        case original
        /// The PyTorch port RoTE builds on (`norm_first = false`): post-LN blocks with an output
        /// projection, `E·√d + P`, Xavier-normal initialisation, left padding.
        case postNorm
        /// RecBole: `Dropout(LN(E + P))`, BERT post-LN blocks with GELU FFN of width 4d,
        /// LN ε 1e-12, N(0, 0.02) initialisation, right padding, the state at `len − 1`.
        case recbole
        /// GPT-2-style pre-LN blocks (`X + MHA(LN(X))`, `X + FFN(LN(X))`) with an output
        /// projection, `E + P`, GELU FFN of width 4d, final LN, left padding, N(0, 0.02)
        /// initialisation: the PyTorch anchor's model (`../shared/bench/torch_sasrec.py`).
        case preNorm
    }

    /// §1.1–§1.2 losses.
    public enum Loss: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// BCE of the next item against one negative per position drawn outside the user's
        /// training items (the original's).
        case binaryCrossEntropy
        /// Softmax over the next item and `negatives` items drawn uniformly and shared by the
        /// batch, with the logQ correction (Bengio & Senécal 2008) when asked.
        case sampledSoftmax
        /// Softmax cross-entropy over every item (RecBole's `CE`).
        case fullSoftmax
    }

    /// The protocols the model is scored by (sequential.md §0.2–§0.3).
    public struct Evaluation: Codable, Sendable, Equatable {
        /// Rank the full catalogue (task `full`).
        public var fullRanking = true
        /// Remove every item the user interacted with (never the target) from the full ranking.
        public var maskHistory = true
        /// Also rank the target among this many items drawn uniformly from those the user never
        /// interacted with (task `uni<n>`); `nil`: not.
        public var sampledNegatives: Int? = 100
        public var cutoffs = [5, 10, 20]
        /// A seeded subset of at most this many users (`nil`: all).
        public var maximumUsers: Int?

        public init() {}
    }

    public var variant = Variant.original
    public var loss = Loss.binaryCrossEntropy
    /// Shared negatives of the sampled softmax.
    public var negatives = 100
    /// Subtract log(k/N), the log of a negative's expected count, from the sampled logits.
    public var logQCorrection = true
    /// d: the item vectors' and the blocks' width.
    public var dimensions = 50
    public var blocks = 2
    public var heads = 1
    /// The FFN's inner width (`nil`: d, or 4d for RecBole).
    public var feedForwardDimensions: Int?
    public var dropout: Float = 0.5
    /// Dropout on the attention weights (`nil`: `dropout`).
    public var attentionDropout: Float?
    /// n: the most recent items read.
    public var maximumLength = 50
    /// Learned absolute positions (`nil`: on, except where RoTE or CAPE replaces them).
    public var learnedPositions: Bool?
    /// RoTE (sequential.md §2.3): queries and keys rotated by the items' timestamps in every
    /// block (one rotation per forward pass), learned positions removed; `nil`: off.
    public var rote: RotaryTimeOptions?
    /// CAPE (sequential.md §3): contextual position logits in every block's attention (a table
    /// per block, `P_max` = `maximumLength`), learned positions removed; `nil`: off.
    public var cape: CAPEConfiguration?
    /// The dataset's columns: the history (id list), its timestamps (timestamp list), the next
    /// item, and every item of the user (masked in evaluation; `nil`: the history only).
    public var items = "items"
    public var times = "times"
    public var target = "target"
    public var interacted: String? = "interacted"
    public var evaluation = Evaluation()

    public init() {}

    public func validate() throws {
        let check = ModelConfigurationCheck()
        try check.positive(dimensions, "dimensions", what: "a number of dimensions")
        try check.positive(blocks, "blocks", maximum: 64, what: "a number of blocks")
        try check.positive(heads, "heads", maximum: dimensions, what: "a number of heads")
        guard dimensions % heads == 0 else {
            throw StrictJSON.Error(description: "field 'modelConfiguration.heads': \(heads) heads do not divide \(dimensions) dimensions")
        }
        if let feedForwardDimensions { try check.positive(feedForwardDimensions, "feedForwardDimensions", what: "a width") }
        try check.dropout(dropout, "dropout")
        if let attentionDropout { try check.dropout(attentionDropout, "attentionDropout") }
        try check.positive(maximumLength, "maximumLength", maximum: 4096, what: "a sequence length")
        try check.positive(negatives, "negatives", maximum: ModelConfigurationCheck.maximumCount, what: "a number of sampled negatives")
        for name in [("items", items), ("times", times), ("target", target)] { try check.name(name.1, name.0) }
        if let rote, let problem = rote.problem(headWidth: dimensions / heads) {
            throw StrictJSON.Error(description: "field 'modelConfiguration.rote': \(problem)")
        }
        if let cape { try check.positive(cape.positionDimensions, "cape.positionDimensions", what: "a width") }
        if let sampled = evaluation.sampledNegatives {
            try check.positive(sampled, "evaluation.sampledNegatives", what: "a number of sampled negatives")
        }
    }

    /// Whether learned absolute positions are added.
    var usesLearnedPositions: Bool { learnedPositions ?? (rote == nil && cape == nil) }

    /// Left padding (the last item at position n − 1) for all but RecBole.
    var padsLeft: Bool { variant != .recbole }
    var arrangement: SequentialEncoderBlock.Arrangement {
        switch variant {
        case .original: .normalisedQueryResidual
        case .postNorm, .recbole: .postNorm
        case .preNorm: .preNorm
        }
    }
    var scalesEmbeddings: Bool { variant == .original || variant == .postNorm }
    var layerNormEpsilon: Float {
        switch variant {
        case .original, .postNorm: 1e-8
        case .recbole: 1e-12
        case .preNorm: 1e-5
        }
    }
    var initializer: Initializer {
        switch variant {
        case .original: .glorotUniform
        case .postNorm: .glorotNormal
        case .recbole, .preNorm: .normal(mean: 0, standardDeviation: 0.02)
        }
    }
    /// GELU and a 4d-wide FFN (RecBole, pre-LN) or ReLU and width d (the original and its port).
    var usesGELU: Bool { variant == .recbole || variant == .preNorm }
    var innerWidth: Int { feedForwardDimensions ?? (usesGELU ? 4 * dimensions : dimensions) }
    var hasFinalNorm: Bool { variant == .original || variant == .preNorm }
}
