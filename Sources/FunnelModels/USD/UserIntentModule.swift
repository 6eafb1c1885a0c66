import FunnelData
import FunnelNN
import FunnelTensor

/// USD's User Intent Extraction Module (Zheng et al., RecSys 2025, DOI 10.1145/3705328.3748096,
/// §2.3, Eqs. 2–6; entire-space.md §10.3): a month of daily tokens (−1 no portal visit, 0 a
/// portal visit not through the block, 1 a block click; stored as ids 1, 2, 3 of a 4-id
/// vocabulary whose id 0 is unused, padded with id 4, the vocabulary's size, whose embedding
/// row reads as zeros) → token embeddings + sinusoidal positions → a causal Transformer decoder;
/// `H = Decoder(E_s + E_pos)[last valid position] + MeanPool_valid(E_s)` → two heads, the
/// portal intent `ŷ_p` and the block intent `ŷ_b`.
///
/// Shapes: sequence ids and mask `[n, T]` → two logits `[n]`.
public final class UserIntentModule: Module {
    public struct Configuration: Codable, Sendable, Equatable {
        /// The id-list column of daily tokens, oldest first, the day itself excluded.
        public var sequence = "user-day.intent_sequence"
        /// T: the days read.
        public var length = 30
        public var dimensions = 16
        public var blocks = 1
        public var heads = 2
        /// The feed-forward width as a multiple of `dimensions`.
        public var feedForwardMultiple = 4
        public var dropout: Float = 0
        /// The hidden layers of each head (ReLU) before its logit.
        public var headHidden = [32]

        public init() {}

        /// The checks under `check`'s path (`modelConfiguration.intent`).
        public func validate(_ check: ModelConfigurationCheck) throws {
            try check.name(sequence, "sequence")
            try check.positive(length, "length", maximum: ModelConfigurationCheck.maximumLength, what: "a sequence length")
            try check.positive(dimensions, "dimensions", what: "a number of dimensions")
            try check.positive(blocks, "blocks", maximum: 64, what: "a number of decoder blocks")
            try check.heads(heads, "heads", dividing: dimensions, "dimensions")
            try check.positive(feedForwardMultiple, "feedForwardMultiple", maximum: 64, what: "a width multiple")
            try check.positive(dimensions * feedForwardMultiple, "feedForwardMultiple", what: "a feed-forward width (dimensions × feedForwardMultiple)")
            try check.dropout(dropout, "dropout")
            try check.widths(headHidden, "headHidden")
        }
    }

    public let tokens: Embedding
    public let positions: SinusoidalPositionEncoding
    public let decoder: [TransformerDecoderBlock]
    public let portalHead: MLP
    public let blockHead: MLP
    public let configuration: Configuration

    /// The size of the token vocabulary (ids 0 ..< 4): the id that pads a sequence.
    public static let paddingID: Int32 = 4

    public init(configuration: Configuration, generator: inout RandomGenerator) {
        let dimensions = configuration.dimensions
        tokens = Embedding(
            count: Int(Self.paddingID) + 1, dimensions: dimensions, paddingID: Self.paddingID, initializer: .normal(mean: 0, standardDeviation: 0.1),
            generator: &generator)
        positions = SinusoidalPositionEncoding(maximumLength: configuration.length, dimensions: dimensions)
        decoder = (0..<configuration.blocks).map { _ in
            TransformerDecoderBlock(
                dimensions: dimensions, numHeads: configuration.heads,
                feedForwardDimensions: dimensions * configuration.feedForwardMultiple, dropout: configuration.dropout,
                generator: &generator)
        }
        portalHead = MLP(inputDimensions: dimensions, hiddenDimensions: configuration.headHidden, outputDimensions: 1, generator: &generator)
        blockHead = MLP(inputDimensions: dimensions, hiddenDimensions: configuration.headHidden, outputDimensions: 1, generator: &generator)
        self.configuration = configuration
        super.init()
    }

    /// The logits of `ŷ_p` and `ŷ_b` for a batch, or for its rows `rows` (`[rows.count]` each).
    public func callAsFunction(_ batch: Batch, rows: Range<Int>? = nil) throws -> (portal: Tensor, block: Tensor) {
        guard let sequence = batch.sequences[configuration.sequence] else {
            throw DataError.missingRequirement(dataset: "batch", column: configuration.sequence, reason: "the intent sequence of UIEM")
        }
        guard sequence.paddingID == Self.paddingID else {
            throw DataError.missingRequirement(
                dataset: "batch", column: configuration.sequence,
                reason: "padded with id \(sequence.paddingID), but UIEM's tokens are padded with \(Self.paddingID)")
        }
        let representation = encode(rows.map { sequence.rows($0) } ?? sequence)
        let count = rows?.count ?? batch.size
        return (portalHead(representation).reshaped([count]), blockHead(representation).reshaped([count]))
    }

    /// `H` `[n, dimensions]` of right-padded sequences.
    public func encode(_ sequence: PaddedSequence) -> Tensor {
        let length = sequence.length
        let rows = sequence.ids.count / Swift.max(length, 1)
        let dimensions = configuration.dimensions
        let embedded = tokens(sequence.ids, shape: [rows, length])
        let valid = sequence.maskTensor
        var hidden = positions(embedded)
        for block in decoder { hidden = block(hidden, valid: valid) }
        // Under the causal mask only the last valid position has read the whole month.
        let counts = (0..<rows).map { row in (0..<length).reduce(0) { $0 + (sequence.mask[row * length + $1] > 0 ? 1 : 0) } }
        let last = counts.enumerated().map { row, count in Int32(row * length + Swift.max(count - 1, 0)) }
        let decoded = hidden.reshaped([rows * length, dimensions]).indexSelect(last)
        let divisors = Tensor(shape: [rows, 1], scalars: counts.map { 1 / Float(Swift.max($0, 1)) })
        let pooled = (embedded * valid.reshaped([rows, length, 1])).sum(alongAxes: [1]) * divisors
        return decoded + pooled
    }
}
