import FunnelData
import FunnelNN
import FunnelTensor

/// FAIR (Xiao et al., "FAIR: Focused Attention Is All You Need for Generative Recommendation",
/// arXiv 2512.11254; sequential.md §4): a decoder-only Transformer over the semantic-ID tokens
/// of the user's history whose every block uses focused attention (the difference of two
/// softmax maps, §4.3), trained to predict the next item's M codes in parallel (§4.2, RPG's
/// multi-token heads with tied cosine logits) plus a noise-robustness term (the prediction
/// state kept under random item replacements) and a mutual-information term (InfoNCE between the
/// state and the target's code embedding), §4.4. With `focused = false` and both auxiliary
/// weights 0 it is the standard-attention baseline; with `prediction = autoregressive` it is
/// TIGER-like next-token generation decoded by trie beam search over a KV cache.
///
/// Reads a leave-one-out sequence dataset (`funnel data sequences`) and the semantic IDs saved
/// with it (`funnel data semantic-ids`). Items are ids 1 … N; tokens 0 (padding), the digits'
/// codes, EOS.
///
/// Shapes: B rows, n = `maximumLength` items, M digits, P = n·M (flat) or n (pooled) positions,
/// D = `dimensions` → states `[B, P, D]`; evaluation outputs `catalogue` `[B, N + 1]` per decoder.
public final class FAIR: Module, RegisteredModel {
    public typealias Configuration = FAIRConfiguration

    public static let summary =
        "FAIR: generative recommendation over semantic IDs with focused attention, multi-token prediction, noise-robustness and mutual-information objectives (standard-attention and autoregressive TIGER-like variants as options; leave-one-out sequences + semantic IDs)"
    public static var testFixture: ModelFixture {
        ModelFixture(
            world: "sequential",
            configuration: #"{"dimensions": 16, "heads": 2, "feedForwardDimensions": 32, "maximumLength": 8, "embeddingDropout": 0.1, "attentionDropout": 0.1, "evaluation": {"maximumUsers": 50}}"#,
            prepare: { dataset in
                // The world's item content vectors, residual k-means with a small codebook.
                guard let vocabulary = dataset.vocabulary(for: "target") else { return }
                let itemCount = vocabulary.size - 1
                var tokeniser = SemanticIDTokeniser(method: .residualKMeans, digits: 2)
                tokeniser.codebookSize = 16
                let vectors = try ItemVectors.read(path: dataset.directory + "/item-vectors.csv", itemCount: itemCount)
                let codes = try tokeniser.tokenise(vectors, trainingItems: try dataset.trainingItemFlags(itemCount: itemCount)).ids
                try codes.write(directory: dataset.directory)
            })
    }

    public let tokenTable: Embedding
    public let positions: LearnedPositionEncoding
    public let embeddingDropout: Dropout
    public let blocks: [FocusedDecoderBlock]
    public let finalNorm: LayerNorm
    /// The multi-token heads (`nil` for autoregressive prediction).
    public let heads: MultiTokenPredictionHeads?
    let perturbation: HistoryPerturbation
    public let configuration: Configuration
    public let codes: SemanticIDs
    /// `[(N + 1) · M]`: item i's tokens (row 0: padding).
    public let itemTokens: [Int32]
    /// Digit k's rows of the token table.
    public let digitRanges: [Range<Int>]
    let decoding: FAIRDecodingCache

    /// Reads the semantic IDs named by `configuration.semanticIDs` from the dataset's folder.
    public convenience init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try configuration.validate()
        let codes = try dataset.semanticIDs(named: configuration.semanticIDs, target: configuration.target)
        try self.init(dataset: dataset, configuration: configuration, codes: codes, seed: seed)
    }

    /// A model over the given semantic IDs (items 1 … N of the dataset's target vocabulary).
    public init(dataset: Dataset, configuration: Configuration, codes: SemanticIDs, seed: UInt64) throws {
        try configuration.validate()
        guard dataset.schema.resolvedColumn(configuration.items)?.kind == .idList else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: configuration.items, reason: "FAIR's history: an id list of the target's items")
        }
        self.codes = codes
        let catalogue = dataset.vocabulary(for: configuration.target).map { $0.size - 1 }
        guard codes.itemCount >= 2, catalogue == nil || catalogue == codes.itemCount else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: configuration.target,
                reason: "FAIR needs a semantic ID for each of the target's items (codes for \(codes.itemCount), the vocabulary holds \(catalogue.map(String.init) ?? "none"); at least 2)")
        }
        let (digits, d) = (codes.digits, configuration.dimensions)
        var tokens = [Int32](repeating: 0, count: (codes.itemCount + 1) * digits)
        for item in 1...codes.itemCount {
            for digit in 0..<digits { tokens[item * digits + digit] = codes.token(item: item, digit: digit) }
        }
        itemTokens = tokens
        digitRanges = (0..<digits).map { digit in
            let start = codes.tokenOffset(digit: digit) + 1
            return start..<(start + codes.digitSizes[digit])
        }
        var generator = RandomGenerator(seed: seed)
        let initializer = Initializer.normal(mean: 0, standardDeviation: configuration.initialStandardDeviation)
        tokenTable = Embedding(
            count: codes.tokenCount, dimensions: d, paddingID: SemanticIDs.paddingToken, initializer: initializer, generator: &generator)
        let autoregressive = configuration.prediction == .autoregressive
        positions = LearnedPositionEncoding(
            maximumLength: configuration.positions(digits: digits) + (autoregressive ? digits : 0), dimensions: d,
            generator: &generator)
        embeddingDropout = Dropout(probability: configuration.embeddingDropout, seed: generator.next())
        blocks = (0..<configuration.blocks).map { layer in
            FocusedDecoderBlock(
                dimensions: d, heads: configuration.heads / 2, feedForwardDimensions: configuration.feedForwardDimensions,
                layerIndex: layer, lambdaInitial: configuration.lambdaInitial, focused: configuration.focused,
                weightDropout: configuration.attentionDropout, residualDropout: configuration.residualDropout,
                normEpsilon: configuration.layerNormEpsilon, initializer: initializer, generator: &generator)
        }
        finalNorm = LayerNorm(dimensions: d, epsilon: configuration.layerNormEpsilon)
        heads = autoregressive
            ? nil : MultiTokenPredictionHeads(dimensions: d, digits: digits, temperature: configuration.temperature, generator: &generator)
        perturbation = HistoryPerturbation(
            probability: configuration.noiseProbability, itemCount: codes.itemCount, seed: generator.next())
        self.configuration = configuration
        decoding = FAIRDecodingCache(codes: codes)
        super.init()
    }

    public var itemCount: Int { codes.itemCount }
    var flat: Bool { configuration.input == .flattenCodes }

    public var requirements: DataRequirements {
        let policy = SequencePolicy(length: configuration.maximumLength, keep: .last, padding: .leading)
        let columns = [configuration.items, configuration.target] + (configuration.interacted.map { [$0] } ?? [])
        return DataRequirements(columns: Set(columns), sequences: [configuration.items: policy])
    }

    public var evaluationTasks: [EvaluationTask] {
        let evaluation = configuration.evaluation
        return configuration.decoders.map { decoder in
            EvaluationTask(
                name: decoder.taskName, outputs: [decoder.outputName], label: configuration.target, truth: nil,
                scoreDescription: "FAIR(\(configuration.focused ? "focused" : "standard") attention, \(configuration.prediction.rawValue)) \(decoder.rawValue) decoding",
                kind: .ranking(RankingProtocol(
                    history: configuration.interacted ?? configuration.items, maskHistory: evaluation.maskHistory,
                    sampledNegatives: nil, cutoffs: evaluation.cutoffs, maximumUsers: evaluation.maximumUsers,
                    tieBreaking: .expected, firstItem: 1)))
        }
    }

    /// The batch's history as tokens.
    func history(_ batch: Batch) throws -> SemanticIDHistory {
        let items = try SequenceInput(batch: batch, column: configuration.items, padsLeft: true)
        return SemanticIDHistory(items: items, itemTokens: itemTokens, digits: codes.digits, itemCount: itemCount)
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let history = try history(batch)
        if isTraining {
            if configuration.prediction == .autoregressive {
                let targets = try finalTargets(batch)
                return ["states": encode(tokens: nextTokenInput(history, targets: targets).tokens, rows: history.rows)]
            }
            guard configuration.noiseWeight > 0 else { return ["states": encode(history)] }
            let noisy = perturbation(history, itemTokens: itemTokens)
            guard configuration.noiseTarget == .attentionMaps else {
                return ["states": encode(history), "perturbedStates": encode(noisy)]
            }
            var (clean, perturbed): ([Tensor]?, [Tensor]?) = ([], [])
            let states = encode(history, maps: &clean)
            _ = encode(noisy, maps: &perturbed)
            let keep = history.unchangedPositions(in: noisy, flat: flat)
            return ["states": states, "noiseMapLoss": Self.mapDifference(clean ?? [], perturbed ?? [], keep: keep)]
        }
        return try decode(history)
    }

    /// The final norm's output `[B, P, D]` for a history.
    func encode(_ history: SemanticIDHistory) -> Tensor {
        var maps: [Tensor]?
        return encode(history, maps: &maps)
    }

    /// As ``encode(_:)``, appending every block's focused-attention map `[B, H, P, P]` to `maps`
    /// when it is not `nil`.
    func encode(_ history: SemanticIDHistory, maps: inout [Tensor]?) -> Tensor {
        encode(tokens: history.tokens, rows: history.rows, pooled: flat ? nil : history.digits, maps: &maps)
    }

    /// The final norm's output `[B, P, D]` for token ids `[B, P]` (or `[B, P, M]` pooled over M).
    /// Padding tokens (0) are masked out as keys; a query with no real key outputs 0.
    func encode(tokens: [Int32], rows: Int, pooled digits: Int? = nil) -> Tensor {
        var maps: [Tensor]?
        return encode(tokens: tokens, rows: rows, pooled: digits, maps: &maps)
    }

    /// As ``encode(tokens:rows:pooled:)``, appending every block's focused-attention map
    /// `[B, H, P, P]` to `maps` when it is not `nil`.
    func encode(tokens: [Int32], rows: Int, pooled digits: Int?, maps: inout [Tensor]?) -> Tensor {
        let width = configuration.dimensions
        let length = tokens.count / rows / (digits ?? 1)
        var x: Tensor
        let valid: [Float]
        if let digits {
            x = tokenTable(tokens, shape: [rows, length, digits]).mean(alongAxes: [2])
            valid = (0..<(rows * length)).map { tokens[$0 * digits] == SemanticIDs.paddingToken ? 0 : 1 }
        } else {
            x = tokenTable(tokens, shape: [rows, length])
            valid = tokens.map { $0 == SemanticIDs.paddingToken ? 0 : 1 }
        }
        x = embeddingDropout(positions(x))
        let validTensor = Tensor(shape: [rows, length], scalars: valid)
        let mask = maps == nil
            ? nil : MultiHeadAttention.causalMask(length: length) + MultiHeadAttention.keyPaddingMask(validTensor)
        for block in blocks {
            if let mask, let attention = block.focusedAttention { maps?.append(attention.weights(block.attentionNorm(x), mask: mask)) }
            x = block(x, valid: validTensor)
        }
        return finalNorm(x).reshaped([rows, length, width])
    }

    /// The mean squared difference of the clean and perturbed maps `[B, H, P, P]` over the key
    /// positions `keep` (`[B · P]`, 1 where the item was neither padding nor replaced), averaged
    /// over blocks (§4.4's attention-map option).
    static func mapDifference(_ clean: [Tensor], _ perturbed: [Tensor], keep: [Float]) -> Tensor {
        precondition(!clean.isEmpty && clean.count == perturbed.count, "Funnel: attention maps of \(clean.count) and \(perturbed.count) blocks")
        let (rows, heads, length) = (clean[0].shape[0], clean[0].shape[1], clean[0].shape[2])
        let mask = Tensor(shape: [rows, 1, 1, length], scalars: keep)
        let count = Float(Swift.max(keep.reduce(0, +), 1) * Float(heads * length))
        let terms = zip(clean, perturbed).map { clean, perturbed in
            let difference = (clean - perturbed) * mask
            return (difference * difference).sum() * (1 / count)
        }
        return terms.dropFirst().reduce(terms[0], +) * (1 / Float(terms.count))
    }

    func finalTargets(_ batch: Batch) throws -> [Int32] {
        guard let targets = batch.ids[configuration.target] else {
            throw DataError.missingRequirement(dataset: "batch", column: configuration.target, reason: "FAIR's next items")
        }
        return targets
    }
}

extension FAIRConfiguration.Decoder {
    /// The evaluation task's name: `full` for exhaustive scoring (sequential.md §0.2), else the
    /// decoder's name.
    var taskName: String { self == .exhaustive ? "full" : rawValue }
    var outputName: String { self == .exhaustive ? "catalogue" : "\(rawValue)Catalogue" }
}
