import FunnelData
import FunnelNN
import FunnelTensor

/// SASRec (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018, arXiv
/// 1808.09781; sequential.md §1): a causal self-attention encoder over the user's item sequence
/// whose state at position t scores the item at t + 1 by a dot product with the shared item
/// table.
///
/// Reads a leave-one-out sequence dataset (`funnel data sequences`, sequential.md §0.1): each
/// row's history `items` (oldest first) and its next item `target`. Training rows are the
/// users' training sequences: position t's target is the history's item t + 1, the last
/// position's is `target`. Evaluation ranks the catalogue by the last position's state.
///
/// Shapes: a batch of `B` rows, n = `maximumLength`, d = `dimensions`, N items (ids 1 ... N; the
/// table has N + 2 rows: id 0 unused, padding N + 1 reads zeros) → states `[B, n, d]`; training
/// output `states`; evaluation output `catalogue` `[B, N + 1]`.
public final class SASRec: Module, RegisteredModel {
    public typealias Configuration = SASRecConfiguration

    public static let summary =
        "SASRec: causal self-attention over the item sequence (original / post-LN / RecBole / pre-LN variants; BCE, sampled or full softmax; RoTE time rotations or CAPE contextual positions as options), ranked over the catalogue (leave-one-out sequences)"
    public static var testFixture: ModelFixture {
        ModelFixture(world: "sequential", configuration: #"{"dimensions": 8, "maximumLength": 12, "evaluation": {"maximumUsers": 50}}"#)
    }

    public let itemTable: Embedding
    public let positions: LearnedPositionEncoding?
    public let inputNorm: LayerNorm?
    public let inputDropout: Dropout
    public let blocks: [SequentialEncoderBlock]
    public let finalNorm: LayerNorm?
    /// RoTE's rotation (no trained parameters), when on.
    public let rotary: RotaryTimeEmbedding?
    /// CAPE per block, when on.
    public let contextualPositions: [ContextualPositionEncoding]
    public let sampler: SequenceNegativeSampler
    public let configuration: Configuration
    /// N: real items are ids 1 ... N.
    public let itemCount: Int

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try configuration.validate()
        guard let vocabulary = dataset.vocabulary(for: configuration.target) else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: configuration.target, reason: "SASRec's item catalogue (the next-item column)")
        }
        guard dataset.schema.resolvedColumn(configuration.items)?.kind == .idList else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: configuration.items, reason: "SASRec's history: an id list of the target's items")
        }
        itemCount = vocabulary.size - 1
        let d = configuration.dimensions
        var generator = RandomGenerator(seed: seed)
        itemTable = Embedding(
            count: itemCount + 2, dimensions: d, paddingID: Int32(itemCount + 1), initializer: configuration.initializer,
            generator: &generator)
        positions = configuration.usesLearnedPositions
            ? LearnedPositionEncoding(maximumLength: configuration.maximumLength, dimensions: d, generator: &generator) : nil
        inputNorm = configuration.variant == .recbole ? LayerNorm(dimensions: d, epsilon: configuration.layerNormEpsilon) : nil
        inputDropout = Dropout(probability: configuration.dropout, seed: generator.next())
        blocks = (0..<configuration.blocks).map { _ in
            SequentialEncoderBlock(
                dimensions: d, heads: configuration.heads, feedForwardDimensions: configuration.innerWidth,
                arrangement: configuration.arrangement, activation: configuration.usesGELU ? .gelu : .relu,
                dropout: configuration.dropout, attentionDropout: configuration.attentionDropout ?? configuration.dropout,
                innerDropout: configuration.variant != .recbole, outputProjection: configuration.variant != .original,
                layerNormEpsilon: configuration.layerNormEpsilon, initializer: configuration.initializer, generator: &generator)
        }
        finalNorm = configuration.hasFinalNorm ? LayerNorm(dimensions: d, epsilon: configuration.layerNormEpsilon) : nil
        rotary = configuration.rote.map {
            RotaryTimeEmbedding(headWidth: d / configuration.heads, mode: $0.mode, bases: $0.bases, weights: $0.weights)
        }
        // CAPE draws from a generator of its own, so switching it on leaves every other weight as
        // it was (the model equals the base model at initialisation, §3.5).
        var capeGenerator = RandomGenerator(seed: seed ^ 0xCA9E)
        contextualPositions = configuration.cape.map { cape in
            (0..<configuration.blocks).map { _ in
                ContextualPositionEncoding(
                    headWidth: d / configuration.heads, positionDimensions: cape.positionDimensions,
                    maximumPositions: configuration.maximumLength, legacyMaskedGate: cape.legacyMaskedGate, generator: &capeGenerator)
            }
        } ?? []
        sampler = SequenceNegativeSampler(items: itemCount, seed: generator.next())
        self.configuration = configuration
        super.init()
    }

    public var requirements: DataRequirements {
        let policy = SequencePolicy(
            length: configuration.maximumLength, keep: .last, padding: configuration.padsLeft ? .leading : .trailing)
        var sequences = [configuration.items: policy]
        var columns = [configuration.items, configuration.target] + (configuration.interacted.map { [$0] } ?? [])
        if configuration.rote != nil {
            sequences[configuration.times] = policy
            columns.append(configuration.times)
        }
        return DataRequirements(columns: Set(columns), sequences: sequences)
    }

    public var evaluationTasks: [EvaluationTask] {
        let evaluation = configuration.evaluation
        let history = configuration.interacted ?? configuration.items
        let score = "SASRec(\(configuration.variant.rawValue)) state · item"
        func task(_ name: String, sampled: Int?) -> EvaluationTask {
            EvaluationTask(
                name: name, outputs: ["catalogue"], label: configuration.target, truth: nil, scoreDescription: score,
                kind: .ranking(RankingProtocol(
                    history: history, maskHistory: evaluation.maskHistory, sampledNegatives: sampled, cutoffs: evaluation.cutoffs,
                    maximumUsers: evaluation.maximumUsers, firstItem: 1)))
        }
        var tasks: [EvaluationTask] = []
        if evaluation.fullRanking { tasks.append(task("full", sampled: nil)) }
        if let sampled = evaluation.sampledNegatives { tasks.append(task("uni\(sampled)", sampled: sampled)) }
        return tasks
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let input = try input(batch)
        let states = encode(input)
        guard !isTraining else { return ["states": states] }
        let last = states.reshaped([input.rows * input.length, configuration.dimensions]).indexSelect(input.lastPositions)
        let catalogue = itemTable.table.sliced(alongAxis: 0, 0..<(itemCount + 1))
        return ["catalogue": Tensor.matmul(last, catalogue, transposeRight: true)]
    }

    /// The batch's history laid out as the variant pads it, with its timestamps when RoTE reads
    /// them.
    public func input(_ batch: Batch) throws -> SequenceInput {
        try SequenceInput(
            batch: batch, column: configuration.items, times: configuration.rote == nil ? nil : configuration.times,
            padsLeft: configuration.padsLeft)
    }

    /// The blocks' output `[B, n, d]` for a laid-out history.
    public func encode(_ input: SequenceInput) -> Tensor {
        let d = configuration.dimensions
        var x = itemTable(input.ids, shape: [input.rows, input.length])
        if configuration.scalesEmbeddings { x = x * Float(d).squareRoot() }
        if let positions { x = positions(x) }
        if let inputNorm { x = inputNorm(x) }
        let valid = Tensor(shape: [input.rows, input.length, 1], scalars: input.mask)
        x = SequentialEncoderBlock.keepingValid(inputDropout(x), valid)
        var mask = MultiHeadAttention.causalMask(length: input.length)
        // Without padding the key mask adds only zeros: the causal mask alone ([L, L], in cache
        // for every pair) gives the same sums as the broadcast sum ([batch, 1, L, L]).
        if configuration.rote?.maskPaddingKeys ?? true, input.mask.contains(where: { $0 != 1 }) {
            mask = mask + MultiHeadAttention.keyPaddingMask(Tensor(shape: [input.rows, input.length], scalars: input.mask))
        }
        let rotation = rotary.map { $0.rotation(times: input.times ?? [], batch: input.rows, length: input.length) }
        let heads = configuration.heads
        let rotate = rotation.map { rotation in { (x: Tensor) in rotation.apply(x, heads: heads) } }
        for (index, block) in blocks.enumerated() {
            let cape = contextualPositions.isEmpty ? nil : contextualPositions[index]
            let attend = cape.map { cape in
                { (queries: Tensor, keys: Tensor, values: Tensor, mask: Tensor?, dropout: (keep: Float, key: UInt64)?) in
                    cape.attention(queries: queries, keys: keys, values: values, heads: heads, mask: mask, dropout: dropout)
                }
            }
            x = block(x, valid: valid, attentionMask: mask, rotate: rotate, attend: attend)
        }
        return finalNorm.map { $0(x) } ?? x
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        guard let states = outputs["states"] else {
            throw DataError.missingRequirement(dataset: "model outputs", column: "states", reason: "SASRec's training states")
        }
        let input = try input(batch)
        guard let targets = batch.ids[configuration.target] else {
            throw DataError.missingRequirement(dataset: "batch", column: configuration.target, reason: "SASRec's next items")
        }
        let steps = input.trainingSteps(finalTargets: targets)
        let hidden = states.reshaped([input.rows * input.length, configuration.dimensions]).indexSelect(steps.positions)
        let loss = SequentialLosses(table: itemTable.table, itemCount: itemCount, sampler: sampler)
        switch configuration.loss {
        case .binaryCrossEntropy:
            return Objective(loss.binaryCrossEntropy(
                hidden: hidden, targets: steps.targets, excluded: input.seenItems(finalTargets: targets)))
        case .sampledSoftmax:
            return Objective(loss.sampledSoftmax(
                hidden: hidden, targets: steps.targets, negatives: configuration.negatives, logQCorrection: configuration.logQCorrection))
        case .fullSoftmax:
            return Objective(loss.fullSoftmax(hidden: hidden, targets: steps.targets))
        }
    }
}
