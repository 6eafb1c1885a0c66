import FunnelData
import FunnelNN
import FunnelTensor

/// RAR, Recall-Augmented Ranking (Huang et al., WWW 2024, arXiv 2404.09578; adaptation.md §1) as a
/// plug-in of a CTR model: per row, the look-alike users and the recall items are selected by
/// SimHash (§1.2.1), the ``CoInteraction`` module turns them into `u_aug = [u_L; u_R]` (§1.2.2),
/// which the host concatenates to its MLP input, and `L_rec` supervises the recall items (§1.3).
///
/// RAR owns its embeddings (`d = embeddingDimensions`): user fields and items (item id, one
/// padding row). A user representation `x_u` is the mean of its field embeddings plus the mean
/// of its last `behaviourCount` click embeddings before the row's day. Per row of user `u`,
/// target `i` and day `D`:
/// - `L` `[n, k_u, d]`: the `k_u` pool users (other than `u`) whose day-`D` representation's
///   signature is nearest `x_u`'s;
/// - `R` `[n, k_r, d]`: the `k_r` items of the recall list (`M` items, target excluded; item-CF,
///   ``ItemCFRecall``, or two-tower, ``TwoTowerRecall``, by `retriever`) whose signatures are
///   nearest the target's, ties by recall rank;
/// - `u_aug` `[n, 2d]`; `L_rec` = mean BCE of `σ((W u_aug) · e_r)` over the kept `r` against
///   `1[u clicked r on day D]`.
/// Signatures use `H` fixed seeded Gaussian hyperplanes (never trained) and no gradient; the
/// selected rows keep theirs, so gradients reach the embeddings through the co-interaction.
public final class RecallAugmentation: Module {
    /// What RAR adds to a host's forward pass.
    public struct Output {
        /// `u_aug`, `[n, 2d]`.
        public let vector: Tensor
        /// `L_rec`, a scalar; `nil` outside training.
        public let recallLoss: Tensor?
    }

    public let userFields: FieldEmbedding
    public let items: Embedding
    /// The SimHash of both selections: `[d, H]` block-diagonal over `hashGroups` groups; keeps
    /// `k_r` recall items, equal distances by recall rank.
    public let selection: SimHashRetrieval
    public let coInteraction: CoInteraction
    /// `W`, `[d, 2d]`: u_aug → the space of item embeddings, for `L_rec`.
    public let recallProjection: Linear
    public let configuration: RARConfiguration
    public let log: ItemCFRecall
    /// The two-tower retriever, trained at construction for every day of the dataset's splits
    /// (`nil` unless `retriever` is `twoTower`).
    public let twoTower: TwoTowerRecall?
    public let pool: LookAlikePool
    /// `u_aug` replaced by zeros (the §1.6 oracle: with β = 0 the host is the base model).
    public var forcesZeroAugmentation = false

    /// - Parameters: `label`: the host's label, the clicks when the configuration names none;
    ///   `seed`: the host's seed, mixed with the configuration's own.
    public init(dataset: Dataset, configuration: RARConfiguration, label: String, seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed ^ UInt64(configuration.seed))
        let dimensions = configuration.embeddingDimensions
        log = try ItemCFRecall(
            dataset: dataset, split: configuration.clickSplit, user: configuration.user, item: configuration.item,
            day: configuration.day, label: configuration.clickLabel ?? label)
        switch configuration.retriever {
        case .itemCF: twoTower = nil
        case .twoTower:
            let days = dataset.splits.values.flatMap { $0.column(configuration.day)?.values.integers?.array ?? [] }
            twoTower = TwoTowerRecall(
                log: log, days: Set(days), dimensions: configuration.twoTowerDimensions,
                queryClicks: configuration.recallQueryClicks, epochs: configuration.twoTowerEpochs,
                negatives: configuration.twoTowerNegatives, learningRate: configuration.twoTowerLearningRate,
                seed: UInt64(configuration.twoTowerSeed))
        }
        let candidates = try dataset.split(configuration.clickSplit).column(configuration.user)?.values.ids?.array ?? []
        pool = try LookAlikePool(
            dataset: dataset, user: configuration.user, userFields: configuration.userFields, candidates: candidates,
            size: configuration.poolSize, seed: UInt64(configuration.poolSeed))
        let initializer = Initializer.normal(mean: 0, standardDeviation: 0.05)
        userFields = FieldEmbedding(vocabularySizes: pool.sizes, dimensions: dimensions, initializer: initializer, generator: &generator)
        items = Embedding(
            count: log.itemCount + 1, dimensions: dimensions, paddingID: Int32(log.itemCount), initializer: initializer,
            generator: &generator)
        let groups = configuration.hashGroups
        let (width, bits) = (dimensions / groups, configuration.hashBits / groups)
        var hyperplanes = [Float](repeating: 0, count: dimensions * configuration.hashBits)
        for group in 0..<groups {
            for row in (group * width)..<((group + 1) * width) {
                for bit in (group * bits)..<((group + 1) * bits) { hyperplanes[row * configuration.hashBits + bit] = generator.nextNormal() }
            }
        }
        selection = SimHashRetrieval(
            projection: Tensor(shape: [dimensions, configuration.hashBits], scalars: hyperplanes),
            retrievedCount: configuration.recallKept, tieBreaking: .oldestFirst)
        coInteraction = CoInteraction(dimensions: dimensions)
        recallProjection = Linear(2 * dimensions, dimensions, bias: false, generator: &generator)
        self.configuration = configuration
        super.init()
    }

    /// The columns RAR reads from a batch.
    public var columns: Set<String> { [configuration.user, configuration.item, configuration.day] }

    /// `M'`: the recall list's length (at most every item but the target).
    public var recallLength: Int { Swift.min(configuration.recallCount, log.itemCount - 1) }

    /// R_u of every row, best first (what the selection reads; no day `≥ D` enters it).
    public func recallLists(users: [Int32], items: [Int32], days: [Int64]) -> [[Int32]] {
        var popularity: [Int64: (order: [Int32], ranks: [Int])] = [:]
        for day in Set(days) {
            let order = log.popularityOrder(before: day)
            popularity[day] = (order, ItemCFRecall.ranks(of: order))
        }
        return users.indices.map { row in
            let (order, ranks) = popularity[days[row]]!
            if let twoTower {
                return twoTower.recall(user: users[row], day: days[row], excluding: items[row], count: recallLength, popularity: order)
            }
            return log.recall(
                user: users[row], day: days[row], excluding: items[row], count: recallLength,
                queryClicks: configuration.recallQueryClicks, popularity: order, ranks: ranks)
        }
    }

    /// `x` of each (user, day), `[m, d]`: mean field embedding + mean of the last clicks before the day.
    public func representations(users: [Int32], days: [Int64]) -> Tensor {
        let rows = users.count
        let fields = userFields(pool.fieldIDs(of: users)).mean(alongAxes: [1])
        let count = configuration.behaviourCount
        guard count > 0 else { return fields }
        var ids = [Int32](repeating: Int32(log.itemCount), count: rows * count)
        var scale = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            let clicks = log.recentClicks(user: users[row], before: days[row], count: count)
            for (position, item) in clicks.enumerated() { ids[row * count + position] = item }
            scale[row] = clicks.isEmpty ? 0 : 1 / Float(clicks.count)
        }
        let behaviours = items(ids, shape: [rows, count]).sum(alongAxes: [1])
        return fields + behaviours * Tensor(shape: [rows, 1], scalars: scale)
    }

    /// `L`, `[n, k_u', d]` with `k_u' = min(k_u, pool size)`: each row's look-alike users.
    func lookAlikes(query: Tensor, users: [Int32], days: [Int64]) -> Tensor {
        let distinctDays = Array(Set(days)).sorted()
        let poolCount = pool.users.count
        let poolDays = distinctDays.flatMap { Array(repeating: $0, count: poolCount) }
        let poolUsers = Array(repeating: pool.users, count: distinctDays.count).flatMap { $0 }
        let candidates = representations(users: poolUsers, days: poolDays)
        let poolSignatures = selection.signatures(candidates)
        let querySignatures = selection.signatures(query)
        let kept = Swift.min(configuration.lookAlikeCount, poolCount)
        var position: [Int32: Int] = [:]
        for (index, user) in pool.users.enumerated() { position[user] = index }
        var indices: [Int32] = []
        indices.reserveCapacity(users.count * kept)
        for row in users.indices {
            let base = distinctDays.firstIndex(of: days[row])! * poolCount
            let nearest = LookAlikePool.nearest(
                query: querySignatures[row], pool: poolSignatures[base..<(base + poolCount)], count: kept,
                excluded: position[users[row]].map { [$0] } ?? [])
            indices.append(contentsOf: nearest.map { Int32(base + $0) })
        }
        return candidates.indexSelect(indices).reshaped([users.count, kept, configuration.embeddingDimensions])
    }

    /// `u_aug` and `L_rec` of a batch (see the type's documentation).
    public func callAsFunction(_ batch: Batch) throws -> Output {
        let configuration = self.configuration
        guard let users = batch.ids[configuration.user], let targets = batch.ids[configuration.item],
            let days = batch.integers[configuration.day]
        else {
            throw DataError.missingRequirement(
                dataset: "batch", column: "\(configuration.user), \(configuration.item), \(configuration.day)",
                reason: "RAR's user, target item and day")
        }
        let rows = batch.size
        let dimensions = configuration.embeddingDimensions
        let target = items(targets)
        let lists = recallLists(users: users, items: targets, days: days)
        let length = recallLength
        let recalled = items(lists.flatMap { $0 }, shape: [rows, length])
        let retrieved = selection(target: target, behaviours: recalled, valid: Tensor.ones([rows, length]))
        let lookAlikeSet = lookAlikes(query: representations(users: users, days: days), users: users, days: days)
        let vector = forcesZeroAugmentation
            ? Tensor.zeros([rows, 2 * dimensions])
            : coInteraction(lookAlikes: lookAlikeSet, recalls: retrieved.embeddings, target: target)
        guard isTraining else { return Output(vector: vector, recallLoss: nil) }
        let kept = retrieved.kept
        var labels = [Float](repeating: 0, count: rows * kept)
        for row in 0..<rows {
            let clicked = log.clicks(user: users[row], on: days[row])
            for slot in 0..<kept where clicked.contains(lists[row][Int(retrieved.selected[row * kept + slot])]) {
                labels[row * kept + slot] = 1
            }
        }
        let projected = recallProjection(vector).reshaped([rows, dimensions, 1])
        let logits = Tensor.matmul(retrieved.embeddings, projected).reshaped([rows, kept])
        let loss = Losses.binaryCrossEntropy(logits: logits, labels: Tensor(shape: [rows, kept], scalars: labels))
        return Output(vector: vector, recallLoss: loss)
    }
}


extension RecallAugmentation {
    /// A host's MLP tower, which RAR widens by `u_aug`'s `2d` input columns (appended last).
    ///
    /// The tower is first drawn from `generator` exactly as without RAR (so `rar == nil` is the
    /// host bit for bit); with RAR, a tower of the wider input is drawn from a generator of its
    /// own and takes every weight of the narrow one, so its only new weights are the columns
    /// reading `u_aug`: with `u_aug = 0` it computes what the host computes (§1.6).
    ///
    /// - Parameters:
    ///   - inputDimensions: the host's MLP input width.
    ///   - make: builds the host's MLP for an input width from a generator.
    public static func tower(
        inputDimensions: Int, rar: RARConfiguration?, seed: UInt64, generator: inout RandomGenerator,
        make: (Int, inout RandomGenerator) -> MLP
    ) -> MLP {
        let narrow = make(inputDimensions, &generator)
        guard let rar else { return narrow }
        var ownGenerator = RandomGenerator(seed: seed ^ UInt64(rar.seed) ^ 0x746f_7765_72)  // "tower"
        let wide = make(inputDimensions + rar.augmentationWidth, &ownGenerator)
        let narrowTensors = Dictionary(uniqueKeysWithValues: narrow.namedTensors().map { ($0.name, $0.tensor) })
        for (name, tensor) in wide.namedTensors() {
            guard let source = narrowTensors[name] else { continue }
            if source.shape == tensor.shape {
                tensor.withUnsafeMutableBufferPointer { target in
                    source.withUnsafeBufferPointer { values in _ = target.update(fromContentsOf: values) }
                }
                continue
            }
            // The first layer's weight, `[out, in]` into `[out, in + 2d]`: the leading columns.
            precondition(
                source.rank == 2 && tensor.rank == 2 && source.shape[0] == tensor.shape[0]
                    && source.shape[1] + rar.augmentationWidth == tensor.shape[1],
                "Funnel: RAR cannot widen \(name) of shape \(source.shape) into \(tensor.shape)")
            let (rows, narrowWidth, wideWidth) = (source.shape[0], source.shape[1], tensor.shape[1])
            tensor.withUnsafeMutableBufferPointer { target in
                source.withUnsafeBufferPointer { values in
                    for row in 0..<rows {
                        for column in 0..<narrowWidth { target[row * wideWidth + column] = values[row * narrowWidth + column] }
                    }
                }
            }
        }
        return wide
    }
}

extension RecallAugmentation {
    /// The output name of `L_rec` (training only).
    public static let recallLossOutput = "rar_recall_loss"

    /// A host's outputs: its logits under `label`, and `L_rec` while training.
    public static func outputs(label: String, logits: Tensor, _ output: Output) -> [String: Tensor] {
        var outputs = [label: logits]
        if let loss = output.recallLoss { outputs[recallLossOutput] = loss }
        return outputs
    }

    /// The joint objective `BCE(y, ŷ) + β·L_rec` (§1.3): one task `loss` without RAR (the
    /// host's), with RAR the tasks `ctr` and `recall` (weight β) when `L_rec` was computed.
    public static func objective(_ loss: Tensor, outputs: [String: Tensor], configuration: RARConfiguration?) -> Objective {
        guard let configuration, let recallLoss = outputs[recallLossOutput] else { return Objective(loss) }
        return Objective(tasks: [
            Objective.Task(name: "ctr", loss: loss),
            Objective.Task(name: "recall", loss: recallLoss, weight: configuration.recallLossWeight),
        ])
    }
}
