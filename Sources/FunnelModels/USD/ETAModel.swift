import FunnelData
import FunnelNN
import FunnelTensor

/// BASE of USD: an ETA-like CTR model (USD §2.4; entire-space.md §9). The long behaviour
/// sequence is searched by SimHash signatures of the current embeddings for the `k` behaviours
/// nearest the target item (Chen et al., arXiv 2108.04468), which multi-head target attention
/// pools; DIN attention (Zhou et al., KDD 2018, arXiv 1706.06978) pools the short sequence;
/// both interests join the profile, context and item features in an MLP.
///
/// An item is its id embedding ⊕ its category embedding (`d = 2·embeddingDimensions`), for the
/// target and for every behaviour (the category comes from the item side table). Both tables
/// hold one extra row for padding (the item vocabulary's size, the batcher's padding id), which
/// reads as zeros: a padded behaviour never reads a real item's rows.
///
/// Shapes: a batch of `n` rows, long sequence `[n, L]`, short `[n, S]` (its last `S` valid
/// behaviours) → logits `[n]` under the label's name.
public final class ETAModel: Module, RegisteredModel {
    public static let summary = "BASE of USD: ETA-like CTR model, SimHash retrieval + target attention, DIN on the short sequence (click, item, behaviours)"
    public static var testFixture: ModelFixture {
        ModelFixture(world: "homepage", configuration: #"{"longLength": 20, "shortLength": 5, "retrieved": 8}"#)
    }

    public struct Configuration: ModelConfiguration, Equatable {
        /// Profile, context and item features (`nil` categorical: every usable one but the
        /// target item and its category, which the model embeds itself); the label.
        public var features = FeatureSelection()
        /// The target item column and its category (a side-table column keyed by the item).
        public var item = "item"
        public var itemCategory = "item.item_category"
        /// The behaviour sequence: item ids, oldest first (the day itself excluded).
        public var behaviours = "user-day.clicked_items"
        /// L, the long sequence's length, and S, the short sequence's (its most recent part).
        public var longLength = 1000
        public var shortLength = 50
        public var embeddingDimensions = 16
        /// m signature bits and k retrieved behaviours (FuxiCTR's defaults).
        public var hashBits = 32
        public var retrieved = 50
        public var attentionDimensions = 64
        public var heads = 2
        public var dinHidden = [80, 40]
        public var dinNormalisation = DINAttention.Normalisation.softmax
        public var hidden = [200, 80]
        /// Whether the short sequence uses DIN attention (`false`: the same target attention).
        public var dinForShortSequence = true
        /// CAPE on the short sequence's DIN (sequential.md §3.1, DIN variant; Contextual-Aware
        /// Position Encoding), with `P_max = shortLength`; `nil` (the default) is BASE without it,
        /// bit for bit. Its table starts at zero, so BASE with CAPE starts where BASE does.
        public var cape: CAPEConfiguration?
        /// RAR (adaptation.md §1): `u_aug` joins the MLP input, `β·L_rec` the loss; `nil` (the
        /// default) is BASE without it, bit for bit.
        public var rar: RARConfiguration?

        public init() {}

        public func validate() throws {
            try validate(ModelConfigurationCheck())
        }

        /// The checks under `check`'s path (USD nests BASE under `base`).
        public func validate(_ check: ModelConfigurationCheck) throws {
            try check.name(item, "item")
            try check.name(behaviours, "behaviours")
            let length = ModelConfigurationCheck.maximumLength
            try check.positive(longLength, "longLength", maximum: length, what: "a sequence length")
            try check.positive(shortLength, "shortLength", maximum: longLength, what: "a sequence length (at most longLength)")
            try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
            try check.positive(hashBits, "hashBits", maximum: 1024, what: "a number of hash bits")
            try check.positive(retrieved, "retrieved", maximum: length, what: "a number of retrieved behaviours")
            try check.positive(attentionDimensions, "attentionDimensions", what: "a number of attention dimensions")
            try check.heads(heads, "heads", dividing: attentionDimensions, "attentionDimensions")
            try check.widths(dinHidden, "dinHidden")
            try check.widths(hidden, "hidden")
            if let cape {
                guard dinForShortSequence else {
                    throw check.refusal("cape", "CAPE extends the short sequence's DIN; set dinForShortSequence to true")
                }
                try check.positive(cape.positionDimensions, "cape.positionDimensions", what: "a number of position dimensions")
            }
            try rar?.validate(check.nested("rar"))
        }
    }

    public let items: Embedding
    public let categories: Embedding
    public let features: FeatureInput
    public let retrieval: SimHashRetrieval
    public let longAttention: TargetAttention
    public let shortDIN: DINAttention?
    public let shortAttention: TargetAttention?
    /// The MLP over the joined features and interests (`nil` when the model is an entire-space
    /// network's backbone, whose towers read ``representation(_:)`` instead).
    public let tower: MLP?
    public let augmentation: RecallAugmentation?
    public let configuration: Configuration
    /// The category id of every item id, and the padding category for the padding id.
    let categoryOfItem: [Int32]

    public convenience init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        try self.init(dataset: dataset, configuration: configuration, seed: seed, withTower: true)
    }

    /// BASE, or with `withTower` false only its representation: the interests and features
    /// that ``representation(_:)`` joins (an entire-space network's `eta` backbone).
    public init(dataset: Dataset, configuration: Configuration, seed: UInt64, withTower: Bool) throws {
        var generator = RandomGenerator(seed: seed)
        let input = try CategorisedItemInput(
            dataset: dataset, item: configuration.item, itemCategory: configuration.itemCategory,
            behaviours: configuration.behaviours, features: configuration.features,
            dimensions: configuration.embeddingDimensions, model: "BASE", generator: &generator)
        (items, categories, features, categoryOfItem) = (input.items, input.categories, input.features, input.categoryOfItem)
        let dimensions = configuration.embeddingDimensions
        let itemWidth = 2 * dimensions
        retrieval = SimHashRetrieval(
            dimensions: itemWidth, bits: configuration.hashBits,
            retrievedCount: Swift.min(configuration.retrieved, configuration.longLength), generator: &generator)
        longAttention = TargetAttention(
            dimensions: itemWidth, attentionDimensions: configuration.attentionDimensions, numHeads: configuration.heads,
            generator: &generator)
        if configuration.dinForShortSequence {
            // Its own generator, so that every other weight is the one BASE without CAPE draws.
            var positionGenerator = RandomGenerator(seed: seed ^ 0x6361_7065)  // "cape"
            let positionEncoding = configuration.cape.map { cape in
                ContextualPositionEncoding(
                    headWidth: itemWidth, positionDimensions: cape.positionDimensions,
                    maximumPositions: configuration.shortLength, legacyMaskedGate: cape.legacyMaskedGate,
                    generator: &positionGenerator)
            }
            shortDIN = DINAttention(
                dimensions: itemWidth, hiddenDimensions: configuration.dinHidden, normalisation: configuration.dinNormalisation,
                positionEncoding: positionEncoding, generator: &generator)
            shortAttention = nil
        } else {
            shortDIN = nil
            shortAttention = TargetAttention(
                dimensions: itemWidth, attentionDimensions: configuration.attentionDimensions, numHeads: configuration.heads,
                generator: &generator)
        }
        tower = withTower
            ? RecallAugmentation.tower(
                inputDimensions: features.width + 3 * itemWidth, rar: configuration.rar, seed: seed, generator: &generator
            ) { MLP(inputDimensions: $0, hiddenDimensions: configuration.hidden, outputDimensions: 1, generator: &$1) }
            : nil
        augmentation = try configuration.rar.map {
            try RecallAugmentation(dataset: dataset, configuration: $0, label: configuration.features.label, seed: seed)
        }
        self.configuration = configuration
        super.init()
    }

    public var requirements: DataRequirements {
        DataRequirements(
            columns: features.columns.union([configuration.item, configuration.behaviours, label]).union(augmentation?.columns ?? []),
            sequences: [configuration.behaviours: SequencePolicy(length: configuration.longLength, keep: .last)])
    }
    public var label: String { configuration.features.label }
    /// The width of ``representation(_:)``: the features, the target item, the short and the
    /// long interest.
    public var representationWidth: Int { features.width + 3 * 2 * configuration.embeddingDimensions }
    public var evaluationTasks: [EvaluationTask] { [EvaluationTask(name: "", outputs: [label], label: label)] }

    /// Item ids → `[count, 2·dimensions]` (id embedding ⊕ category embedding; zeros for the
    /// padding id).
    func embedItems(_ ids: [Int32], shape: [Int], touching: [Int32] = []) -> Tensor {
        CategorisedItemInput.embed(
            ids, shape: shape, items: items, categories: categories, categoryOfItem: categoryOfItem, touching: touching)
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let (logits, _, rar) = try forward(batch, alongside: [])
        guard let rar else { return [label: logits] }
        return RecallAugmentation.outputs(label: label, logits: logits, rar)
    }

    /// The CTR logits `[n]`.
    public func logits(_ batch: Batch) throws -> Tensor {
        try logits(batch, alongside: []).logits
    }

    /// The CTR logits `[n]`, and the outputs of `alongside`: independent computations (USD's
    /// intent module) run as further branches beside the long and the short interest, so that
    /// the two threads share three or more branches instead of each waiting on the other's.
    /// An `alongside` body must read no tensor of BASE's graph (only its own parameters).
    public func logits(
        _ batch: Batch, alongside: [() throws -> [Tensor]]
    ) throws -> (logits: Tensor, alongside: [[Tensor]]) {
        let (logits, outputs, _) = try forward(batch, alongside: alongside)
        return (logits, outputs)
    }

    /// ``logits(_:alongside:)`` and RAR's output: RAR reads only the batch and its own
    /// parameters, so it is one more branch after the `alongside` ones; `u_aug` joins the MLP
    /// input last.
    func forward(
        _ batch: Batch, alongside given: [() throws -> [Tensor]]
    ) throws -> (logits: Tensor, alongside: [[Tensor]], rar: RecallAugmentation.Output?) {
        guard let tower else { preconditionFailure("Funnel: BASE built without its tower has no logits; read representation(_:)") }
        let (parts, alongside, rar) = try representation(batch, alongside: given)
        return (tower(parts: parts).reshaped([batch.size]), alongside, rar)
    }

    /// The MLP input `[n, representationWidth]` as linear parts — the features' fields where
    /// they lie, the target item, the short and the long interest (and RAR's `u_aug`) — and the
    /// outputs of `alongside`.
    public func representation(
        _ batch: Batch, alongside given: [() throws -> [Tensor]] = []
    ) throws -> (parts: [Tensor.LinearPart], alongside: [[Tensor]], rar: RecallAugmentation.Output?) {
        let rarBody: [() throws -> [Tensor]] = augmentation.map { augmentation in
            [{
                let output = try augmentation(batch)
                return [output.vector] + (output.recallLoss.map { [$0] } ?? [])
            }]
        } ?? []
        let alongside = given + rarBody
        guard let sequence = batch.sequences[configuration.behaviours], let itemIDs = batch.ids[configuration.item] else {
            throw DataError.missingRequirement(dataset: "batch", column: configuration.behaviours, reason: "BASE's behaviours and target item")
        }
        guard sequence.paddingID == paddingID else {
            throw DataError.missingRequirement(
                dataset: "batch", column: configuration.behaviours,
                reason: "padded with id \(sequence.paddingID), but BASE pads with \(paddingID) (the item vocabulary's size)")
        }
        let rows = batch.size
        // SimHash signs each distinct item once and only the retrieved behaviours are gathered
        // (no [n, L, d] tensor); every behaviour's rows still get a (zero) gradient row, as the
        // lookup of the whole sequence gave them, so lazy Adam steps the same rows.
        // How many lookups follow depends on the batch's rows (its halves): tables split over the
        // ranks fetch the rows of every id here once.
        let (selection, slices, halves) = CategorisedItemInput.fetching(
            itemIDs + sequence.ids, items: items, categories: categories, categoryOfItem: categoryOfItem
        ) {
            let selection = retrieval.select(targetIDs: itemIDs, behaviourIDs: sequence.ids, valid: sequence.maskTensor) {
                embedItems($0, shape: [$0.count])
            }
            let (shortIDs, shortMask) = Self.mostRecent(sequence, count: configuration.shortLength)
            // The long and the short interest are independent given the embeddings: branches on
            // the pool, after the `alongside` ones. Each runs as two half-batch branches, short ones
            // first: DIN's forward pass and the long attention's backward pass are the heavier, and
            // four halves even out between two threads what two whole interests cannot. Each half
            // looks up its own embeddings, so nothing is sliced.
            let halves = Self.halves(of: rows)
            let (kept, shortLength) = (selection.kept, configuration.shortLength)
            let validities = (long: selection.valid.scalars, short: shortMask)
            func part<Element>(_ values: [Element], _ half: Range<Int>, width: Int) -> [Element] {
                Array(values[half.lowerBound * width..<half.upperBound * width])
            }
            let slices = halves.enumerated().map { index, half in
                (
                    target: embedItems(part(itemIDs, half, width: 1), shape: [half.count]),
                    retrieved: embedItems(
                        part(selection.ids, half, width: kept), shape: [half.count, kept],
                        touching: index == 0 ? selection.behaviourIDs : []),
                    valid: Tensor(shape: [half.count, kept], scalars: part(validities.long, half, width: kept)),
                    short: embedItems(part(shortIDs, half, width: shortLength), shape: [half.count, shortLength]),
                    shortValid: Tensor(shape: [half.count, shortLength], scalars: part(validities.short, half, width: shortLength))
                )
            }
            return (selection, slices, halves)
        }
        let target = slices.count == 1 ? slices[0].target : Tensor.concatenated(slices.map(\.target), alongAxis: 0)
        let shortBranches: [([Tensor]) throws -> [Tensor]] = slices.map { slice in
            { [self] inputs in
                [shortDIN.map { $0(target: inputs[0], sequence: inputs[1], mask: slice.shortValid) }
                    ?? shortAttention!(target: inputs[0], keys: inputs[1], valid: slice.shortValid)]
            }
        }
        let longBranches: [([Tensor]) throws -> [Tensor]] = slices.map { slice in
            { [self] inputs in [longAttention(target: inputs[0], keys: inputs[1], valid: slice.valid)] }
        }
        let outputs = try Tensor.concurrently(
            alongside.map { _ in [] } + slices.map { [$0.target, $0.short] } + slices.map { [$0.target, $0.retrieved] },
            alongside.map { body in { _ in try body() } } + shortBranches + longBranches)
        func joined(_ first: Int) -> Tensor {
            let interests = (first..<first + halves.count).map { outputs[$0][0] }
            return interests.count == 1 ? interests[0] : Tensor.concatenated(interests, alongAxis: 0)
        }
        let (shortInterest, longInterest) = (joined(alongside.count), joined(alongside.count + halves.count))
        var parts = try features.linearParts(batch) + [.rows(target), .rows(shortInterest), .rows(longInterest)]
        let rar = rarBody.isEmpty ? nil : outputs[given.count]
        if let rar { parts.append(.rows(rar[0])) }
        return (
            parts, Array(outputs.prefix(given.count)),
            rar.map { RecallAugmentation.Output(vector: $0[0], recallLoss: $0.count > 1 ? $0[1] : nil) }
        )
    }

    /// The row ranges of a batch's half-batch branches: two halves, or the whole batch when a
    /// half would have fewer than 64 rows.
    static func halves(of rows: Int) -> [Range<Int>] {
        rows >= 128 ? [0..<rows / 2, rows / 2..<rows] : [0..<rows]
    }

    /// The padding id of behaviour sequences: the item vocabulary's size, the last row of `items`.
    var paddingID: Int32 { Int32(items.count - 1) }

    /// The last `count` valid ids of each right-padded row, oldest first, right-padded with the
    /// sequence's padding id.
    static func mostRecent(_ sequence: PaddedSequence, count: Int) -> (ids: [Int32], mask: [Float]) {
        let length = sequence.length
        let rows = sequence.ids.count / Swift.max(length, 1)
        var ids = [Int32](repeating: sequence.paddingID, count: rows * count)
        var mask = [Float](repeating: 0, count: rows * count)
        for row in 0..<rows {
            let valid = (0..<length).reduce(0) { $0 + (sequence.mask[row * length + $1] > 0 ? 1 : 0) }
            let first = Swift.max(valid - count, 0)
            for position in first..<valid {
                ids[row * count + position - first] = sequence.ids[row * length + position]
                mask[row * count + position - first] = 1
            }
        }
        return (ids, mask)
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let loss = Losses.binaryCrossEntropy(logits: outputs[label]!, labels: try batch.tensor(label))
        return RecallAugmentation.objective(loss, outputs: outputs, configuration: augmentation?.configuration)
    }
}
