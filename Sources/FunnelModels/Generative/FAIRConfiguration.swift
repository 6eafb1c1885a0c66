import FunnelNN

/// FAIR's configuration (sequential.md §4; Xiao et al., arXiv 2512.11254). Everything the spec
/// tags [ASSUMED] is an option here, defaulted as §4.2–§4.6 say (RPG's configuration re-used).
/// With `focused = false` and both auxiliary weights 0 the model is the standard-attention
/// multi-token baseline (TIGER/RPG-like).
public struct FAIRConfiguration: ModelConfiguration, Equatable {
    /// How a history item enters the Transformer (§4.2).
    public enum Input: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// Each item contributes its M code tokens in digit order (sequence length n·M).
        case flattenCodes
        /// One position per item: the mean of its M token embeddings (RPG).
        case pooledItems
    }

    /// How the next item is predicted.
    public enum Prediction: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// M parallel heads from the last history token's state (RPG, §4.2).
        case multiToken
        /// Next-token prediction over the flattened codes (TIGER); decoded digit by digit with
        /// a KV cache. Needs `flattenCodes`, and trains the next-token loss alone (both
        /// auxiliary weights 0).
        case autoregressive
    }

    /// What the noise-robustness term compares between the clean and the perturbed input (§4.4).
    public enum NoiseTarget: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// `‖n(h(x)) − n(h(x̃))‖²` of the L2-normalised prediction states.
        case state
        /// Mean squared difference of every block's focused-attention map over unperturbed key
        /// positions.
        case attentionMaps
    }

    /// How the evaluation turns predictions into a ranking (§4.5); one task per entry.
    public enum Decoder: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// Every item scored by `(1/M) Σ_k log p_k[c_k(i)]` (task `full`).
        case exhaustive
        /// Trie-constrained beam search of width `beamWidth` (task `beam`).
        case beam
        /// RPG's graph-constrained decoding (task `graph`).
        case graph
    }

    public struct Evaluation: Codable, Sendable, Equatable {
        /// `nil`: exhaustive scoring, or beam search for autoregressive prediction (the only
        /// decoder it has: its digits are not independent).
        public var decoders: [Decoder]?
        /// Remove every item the user interacted with (never the target) from the ranking.
        public var maskHistory = true
        public var cutoffs = [5, 10, 20]
        /// A seeded subset of at most this many users (`nil`: all).
        public var maximumUsers: Int?
        public var beamWidth = 50
        /// Graph decoding: neighbours kept per item, beams, propagation steps.
        public var graphEdges = 50
        public var graphBeams = 50
        public var graphSteps = 3

        public init() {}
    }

    /// The semantic IDs saved with the dataset (`<name>.csv` + `<name>.json`, written by
    /// `funnel data semantic-ids`).
    public var semanticIDs = "semantic-ids"
    public var input = Input.flattenCodes
    public var prediction = Prediction.multiToken
    /// D: the token embeddings' and the blocks' width.
    public var dimensions = 448
    public var blocks = 2
    /// Heads of the standard attention (even); focused attention uses half as many, each with
    /// two query/key sets of width D / `heads`, so both have the same parameters (§4.3).
    public var heads = 4
    public var feedForwardDimensions = 1024
    /// Focused attention (§4.3) in every block; `false`: standard causal attention.
    public var focused = true
    /// Overrides `λ_init(l) = 0.8 − 0.6·exp(−0.3 l)` for every block.
    public var lambdaInitial: Float?
    public var embeddingDropout: Float = 0.5
    public var attentionDropout: Float = 0.5
    public var residualDropout: Float = 0
    public var layerNormEpsilon: Float = 1e-12
    public var initialStandardDeviation: Float = 0.02
    /// n: the most recent history items read.
    public var maximumLength = 50
    /// τ of the cosine logits `cos(head_k(h), T_k)/τ`.
    public var temperature: Float = 0.07
    /// α: the noise-robustness term's weight (0: off).
    public var noiseWeight: Float = 0.1
    /// ρ: the probability of replacing a history item by a random one in the perturbed copy.
    public var noiseProbability: Float = 0.1
    public var noiseTarget = NoiseTarget.state
    /// β: the mutual-information (InfoNCE) term's weight (0: off).
    public var mutualInformationWeight: Float = 0.1
    public var mutualInformationTemperature: Float = 0.07
    /// The dataset's columns: the history, the next item, every item of the user.
    public var items = "items"
    public var target = "target"
    public var interacted: String? = "interacted"
    public var evaluation = Evaluation()

    public init() {}

    public func validate() throws {
        let check = ModelConfigurationCheck()
        try check.name(semanticIDs, "semanticIDs")
        try check.positive(dimensions, "dimensions", what: "a number of dimensions")
        try check.positive(blocks, "blocks", maximum: 64, what: "a number of blocks")
        try check.positive(heads, "heads", maximum: dimensions, what: "a number of heads")
        guard dimensions % heads == 0, heads % 2 == 0 else {
            throw StrictJSON.Error(
                description: "field 'modelConfiguration.heads': \(heads) heads must be even (focused attention pairs them; the baseline keeps the count) and divide \(dimensions) dimensions")
        }
        try check.positive(feedForwardDimensions, "feedForwardDimensions", what: "a width")
        for (value, name) in [(embeddingDropout, "embeddingDropout"), (attentionDropout, "attentionDropout"), (residualDropout, "residualDropout")] {
            try check.dropout(value, name)
        }
        try check.dropout(noiseProbability, "noiseProbability")
        try check.positive(maximumLength, "maximumLength", maximum: 4096, what: "a sequence length")
        try check.positive(temperature, "temperature")
        try check.positive(mutualInformationTemperature, "mutualInformationTemperature")
        try check.nonNegative(noiseWeight, "noiseWeight")
        try check.nonNegative(mutualInformationWeight, "mutualInformationWeight")
        try check.positive(initialStandardDeviation, "initialStandardDeviation")
        if let lambdaInitial, !lambdaInitial.isFinite {
            throw StrictJSON.Error(description: "field 'modelConfiguration.lambdaInitial': \(lambdaInitial); expected a finite number")
        }
        guard prediction == .multiToken || input == .flattenCodes else {
            throw StrictJSON.Error(description: "field 'modelConfiguration.prediction': autoregressive prediction needs input flattenCodes")
        }
        guard prediction == .multiToken || (noiseWeight == 0 && mutualInformationWeight == 0) else {
            throw StrictJSON.Error(
                description: "field 'modelConfiguration.prediction': autoregressive prediction trains the next-token loss alone; set noiseWeight and mutualInformationWeight to 0")
        }
        guard noiseTarget == .state || focused else {
            throw StrictJSON.Error(description: "field 'modelConfiguration.noiseTarget': attentionMaps needs focused attention")
        }
        if let decoders = evaluation.decoders {
            guard !decoders.isEmpty else {
                throw StrictJSON.Error(description: "field 'modelConfiguration.evaluation.decoders': name at least one decoder")
            }
            guard prediction == .multiToken || decoders == [.beam] else {
                throw StrictJSON.Error(
                    description: "field 'modelConfiguration.evaluation.decoders': autoregressive prediction decodes by beam search only")
            }
        }
        try check.positive(evaluation.beamWidth, "evaluation.beamWidth", what: "a beam width")
        try check.positive(evaluation.graphEdges, "evaluation.graphEdges", what: "a number of neighbours")
        try check.positive(evaluation.graphBeams, "evaluation.graphBeams", what: "a number of beams")
        try check.positive(evaluation.graphSteps, "evaluation.graphSteps", what: "a number of steps")
        for name in [("items", items), ("target", target)] { try check.name(name.1, name.0) }
    }

    /// The decoders the evaluation runs, one task each.
    var decoders: [Decoder] { evaluation.decoders ?? (prediction == .autoregressive ? [.beam] : [.exhaustive]) }

    /// The history's length in Transformer positions: n·M tokens, or n pooled items.
    func positions(digits: Int) -> Int { input == .flattenCodes ? maximumLength * digits : maximumLength }
}
