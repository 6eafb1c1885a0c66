import FunnelNN

/// The sizes of a CTR backbone (``CTRBackboneKind``): the field embedding width, the MLP, and
/// AutoInt's self-attention. The defaults are the torchfm settings the D2Co and CWM papers
/// train with (watchtime.md §0.3): embeddings of 10, MLP 64-64-64 (DeepFM) or 64 (AutoInt),
/// dropout 0.2, 8 heads over an attention width of 64, one attention layer, a residual.
///
/// Decoding fills the fields a configuration leaves out with their defaults, so
/// `"network": {"dropout": 0}` changes the dropout only.
public struct CTRNetworkConfiguration: Codable, Sendable, Equatable {
    /// The width of every field embedding.
    public var embeddingDimensions = 10
    /// The hidden layers of the MLP over the flattened embeddings (each `Linear → BatchNorm →
    /// ReLU → Dropout`); `nil`: the kind's default (``defaultHiddenDimensions(for:)``). FM has
    /// no MLP and ignores it.
    public var hiddenDimensions: [Int]? = nil
    /// The drop probability after each hidden layer of the MLP and, in AutoInt, of the
    /// attention weights (torchfm's two dropouts, both 0.2 in the papers' runs).
    public var dropout: Float = 0.2
    /// Whether each hidden layer of the MLP is batch-normalised (torchfm's
    /// `MultiLayerPerceptron` always is).
    public var batchNorm = true
    /// AutoInt: the width the field embeddings are projected to before self-attention.
    public var attentionDimensions = 64
    /// AutoInt: the attention heads; they split ``attentionDimensions``.
    public var attentionHeads = 8
    /// AutoInt: the stacked self-attention layers.
    public var attentionLayers = 1
    /// AutoInt: add a linear map of the embeddings to the attention output before the ReLU
    /// (torchfm's `has_residual`).
    public var attentionResidual = true

    /// The defaults above.
    public init() {}

    /// The MLP's hidden layers for `kind`: ``hiddenDimensions`` when set, else DeepFM's
    /// `[64, 64, 64]`, AutoInt's `[64]`, and none for FM.
    public func resolvedHiddenDimensions(for kind: CTRBackboneKind) -> [Int] {
        hiddenDimensions ?? Self.defaultHiddenDimensions(for: kind)
    }

    /// The MLP of the torchfm runs of watchtime.md §0.3.
    public static func defaultHiddenDimensions(for kind: CTRBackboneKind) -> [Int] {
        switch kind {
        case .fm: []
        case .deepfm: [64, 64, 64]
        case .autoint: [64]
        }
    }

    /// Refuses sizes no backbone can be built with, naming the field under `check`'s path
    /// (`modelConfiguration.network.attentionHeads`). Every field is checked whatever the kind,
    /// so that a configuration valid for one backbone is valid for all.
    public func validate(_ check: ModelConfigurationCheck = ModelConfigurationCheck().nested("network")) throws {
        try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
        if let hiddenDimensions { try check.widths(hiddenDimensions, "hiddenDimensions") }
        try check.dropout(dropout, "dropout")
        try check.positive(attentionDimensions, "attentionDimensions", what: "an attention width")
        try check.heads(attentionHeads, "attentionHeads", dividing: attentionDimensions, "attentionDimensions")
        try check.positive(
            attentionLayers, "attentionLayers", maximum: ModelConfigurationCheck.maximumCount, what: "a number of attention layers")
    }
}

extension CTRNetworkConfiguration {
    private enum CodingKeys: String, CodingKey {
        case embeddingDimensions, hiddenDimensions, dropout, batchNorm
        case attentionDimensions, attentionHeads, attentionLayers, attentionResidual
    }

    // Missing fields take their defaults even outside `StrictJSON` (which lays the input over
    // the defaults itself), so the configuration can sit inside other models' configurations.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        func decode<Value: Decodable>(_ key: CodingKeys, _ value: inout Value) throws {
            if let decoded = try container.decodeIfPresent(Value.self, forKey: key) { value = decoded }
        }
        try decode(.embeddingDimensions, &embeddingDimensions)
        hiddenDimensions = try container.decodeIfPresent([Int].self, forKey: .hiddenDimensions)
        try decode(.dropout, &dropout)
        try decode(.batchNorm, &batchNorm)
        try decode(.attentionDimensions, &attentionDimensions)
        try decode(.attentionHeads, &attentionHeads)
        try decode(.attentionLayers, &attentionLayers)
        try decode(.attentionResidual, &attentionResidual)
    }
}
