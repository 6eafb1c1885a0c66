import FunnelData
import FunnelNN
import FunnelTensor

/// One task of a multi-task ranking model: its name (the output, the objective term and the
/// evaluation task are named by it) and its binary label column.
///
/// `chainedOn` (optional, ESMM-style): the name of another, unchained task `c`; this task's score
/// is then `σ(z_c)·σ(z)` (its tower's logit `z` is a conditional probability, as ESMM's CVR), its
/// loss the product BCE `Losses.productBinaryCrossEntropy(z_c, z, label)` and its evaluation
/// scores the product.
public struct MultiTaskSpecification: Codable, Sendable, Equatable {
    public var name: String
    public var label: String
    public var chainedOn: String?

    public init(name: String, label: String, chainedOn: String? = nil) {
        self.name = name
        self.label = label
        self.chainedOn = chainedOn
    }
}

/// The fields every multi-task model (`shared-bottom`, `mmoe`, `ple`) shares: the tasks, the
/// input layer of multitask.md §0 and the towers. Defaults are §0's.
public protocol MultiTaskConfiguration: ModelConfiguration {
    /// Default: `ctr` on `click`, `ctcvr` on `conversion` (AliExpress's CTR and CTCVR, §0).
    var tasks: [MultiTaskSpecification] { get }
    /// Categorical columns; `nil`: every categorical feature column (``FeatureSelection``).
    var categorical: [String]? { get }
    /// Dense columns; `nil`: every dense feature column.
    var dense: [String]? { get }
    /// `d`: each field's embedding width and the dense projection's width (128).
    var embeddingDimensions: Int { get }
    /// Each task tower's hidden layers before its logit ((128, 64)).
    var towerHidden: [Int] { get }
    /// Dropout after every hidden layer of experts, bottom and towers (0.2).
    var dropout: Float { get }
    /// BatchNorm1d in every hidden layer of experts, bottom and towers (true).
    var batchNorm: Bool { get }
}

extension MultiTaskConfiguration {
    public static var defaultTasks: [MultiTaskSpecification] {
        [MultiTaskSpecification(name: "ctr", label: "click"), MultiTaskSpecification(name: "ctcvr", label: "conversion")]
    }

    /// The checks of the shared fields.
    public func validateMultiTask() throws {
        let check = ModelConfigurationCheck()
        guard !tasks.isEmpty else { throw check.refusal("tasks", "[] has no task (expected at least one)") }
        try check.positive(tasks.count, "tasks", maximum: ModelConfigurationCheck.maximumCount, what: "a number of tasks")
        var seen = Set<String>()
        for (index, task) in tasks.enumerated() {
            guard !task.name.isEmpty else { throw check.refusal("tasks[\(index)].name", "'' is not a task name") }
            try check.name(task.label, "tasks[\(index)].label")
            guard seen.insert(task.name).inserted else {
                throw check.refusal("tasks[\(index)].name", "'\(task.name)' names two tasks (task names must differ)")
            }
        }
        for (index, task) in tasks.enumerated() {
            guard let chain = task.chainedOn else { continue }
            guard let target = tasks.first(where: { $0.name == chain }), chain != task.name else {
                throw check.refusal("tasks[\(index)].chainedOn", "'\(chain)' is not another task (tasks: \(tasks.map(\.name).joined(separator: ", ")))")
            }
            guard target.chainedOn == nil else {
                throw check.refusal("tasks[\(index)].chainedOn", "'\(chain)' is chained itself (chain on an unchained task)")
            }
        }
        try check.positive(embeddingDimensions, "embeddingDimensions", what: "a number of embedding dimensions")
        try check.widths(towerHidden, "towerHidden")
        try check.dropout(dropout, "dropout")
    }
}

/// The network of the multi-task models (multitask.md §0–§2): the input layer, a backbone and
/// one tower per task ending in one logit.
///
/// - Input (§0): one shared embedding table over the categorical fields (offsets per field,
///   Xavier-uniform with gain 0.1), the dense columns through `Linear(n_dense → d)` as one more
///   "field"; concatenated `[n, (fields + 1)·d]`.
/// - Backbone: a shared bottom MLP, a ``MixtureOfExperts`` (one gate per task) or a
///   ``ProgressiveLayeredExtraction``: one representation per task.
/// - Towers: `MLP(towerHidden, output 1)` per task, with BatchNorm and dropout (§0).
///
/// Initialisation: the input draws from the seed's generator, the backbone and the towers each
/// from their own generator derived from the seed. The backbone draws its experts (or its
/// bottom) first, so `mmoe` with one expert has the weights of `shared-bottom` with
/// `bottomHidden = expertHidden` and the same seed, and computes the same outputs bit for bit
/// (the one-expert gate is exactly 1).
public final class MultiTaskNetwork: Module {
    public enum Backbone {
        case sharedBottom(hidden: [Int])
        case mixtureOfExperts(experts: Int, hidden: [Int])
        case progressiveLayeredExtraction(widths: [Int], sharedExperts: Int, taskExperts: Int)
    }

    public let embedding: FieldEmbedding?
    public let denseProjection: Linear?
    /// A field is multiplied by the first layers per distinct id when its distinct ids in a batch
    /// number at most this share of the rows (``FieldEmbedding/linearParts(_:threshold:)``); 0
    /// multiplies every row.
    public var deduplicationThreshold = FieldEmbedding.defaultDeduplicationThreshold
    public let bottom: MLP?
    public let mixture: MixtureOfExperts?
    public let extraction: ProgressiveLayeredExtraction?
    public let towers: [MLP]
    public let tasks: [MultiTaskSpecification]
    /// `h`: the width of each task representation (the towers' input).
    public let representationWidth: Int
    public let categorical: [String]
    public let dense: [String]

    public init(dataset: Dataset, configuration: some MultiTaskConfiguration, backbone: Backbone, seed: UInt64) throws {
        let schema = dataset.schema
        for (index, task) in configuration.tasks.enumerated() where schema.resolvedColumn(task.label)?.kind != .label {
            throw StrictJSON.Error(description:
                "field 'modelConfiguration.tasks[\(index)].label': no label column '\(task.label)' in dataset '\(schema.name)' (task '\(task.name)')")
        }
        let selection = FeatureSelection(categorical: configuration.categorical, dense: configuration.dense, label: configuration.tasks[0].label)
        let (categorical, sizes, dense) = try selection.resolve(in: dataset)
        guard !categorical.isEmpty || !dense.isEmpty else {
            throw StrictJSON.Error(description: "field 'modelConfiguration.categorical': the model has no feature column")
        }
        let d = configuration.embeddingDimensions
        var inputGenerator = RandomGenerator(seed: seed)
        if sizes.isEmpty {
            embedding = nil
        } else {
            let bound = 0.1 * (6 / Float(sizes.reduce(0, +) + d)).squareRoot()
            embedding = FieldEmbedding(
                vocabularySizes: sizes, dimensions: d, initializer: .uniform(low: -bound, high: bound), generator: &inputGenerator)
        }
        denseProjection = dense.isEmpty ? nil : Linear(dense.count, d, generator: &inputGenerator)
        let inputWidth = (categorical.count + (dense.isEmpty ? 0 : 1)) * d
        let count = configuration.tasks.count
        let batchNorm = configuration.batchNorm, dropout = configuration.dropout
        var backboneGenerator = RandomGenerator(seed: seed ^ 0x6261_636B_626F_6E65)  // "backbone"
        var width: Int
        switch backbone {
        case .sharedBottom(let hidden):
            bottom = MLP(inputDimensions: inputWidth, hiddenDimensions: hidden, dropout: dropout, batchNorm: batchNorm, generator: &backboneGenerator)
            mixture = nil
            extraction = nil
            width = hidden.last ?? inputWidth
        case .mixtureOfExperts(let experts, let hidden):
            bottom = nil
            let mixture = MixtureOfExperts(
                inputDimensions: inputWidth, expertDimensions: hidden, experts: experts, gates: count, batchNorm: batchNorm,
                dropout: dropout, generator: &backboneGenerator)
            self.mixture = mixture
            extraction = nil
            width = mixture.outputDimensions
        case .progressiveLayeredExtraction(let widths, let sharedExperts, let taskExperts):
            bottom = nil
            mixture = nil
            let extraction = ProgressiveLayeredExtraction(
                inputDimensions: inputWidth, widths: widths, tasks: count, sharedExperts: sharedExperts, taskExperts: taskExperts,
                batchNorm: batchNorm, dropout: dropout, generator: &backboneGenerator)
            self.extraction = extraction
            width = extraction.outputDimensions
        }
        var towerGenerator = RandomGenerator(seed: seed ^ 0x746F_7765_7273)  // "towers"
        towers = configuration.tasks.map { _ in
            MLP(inputDimensions: width, hiddenDimensions: configuration.towerHidden, outputDimensions: 1, dropout: dropout,
                batchNorm: batchNorm, generator: &towerGenerator)
        }
        tasks = configuration.tasks
        representationWidth = width
        self.categorical = categorical
        self.dense = dense
        super.init()
    }

    /// The feature and label columns the batcher gathers.
    public var columns: Set<String> { Set(categorical + dense + tasks.map(\.label)) }

    /// `e = [E_1; …; E_F; W x_dense + b]`, `[n, (F + 1)·d]`.
    public func input(_ batch: Batch) throws -> Tensor {
        try inputParts(batch, threshold: 0).concatenated
    }

    /// ``input(_:)`` before concatenation, for first layers that multiply a repeated field's
    /// distinct ids only: the embeddings as ``FieldEmbedding/linearParts(_:threshold:)`` gives
    /// them with ``deduplicationThreshold``, then the projected dense columns.
    public func inputParts(_ batch: Batch) throws -> [Tensor.LinearPart] {
        try inputParts(batch, threshold: deduplicationThreshold)
    }

    private func inputParts(_ batch: Batch, threshold: Double) throws -> [Tensor.LinearPart] {
        var parts: [Tensor.LinearPart] = []
        if let embedding { parts += embedding.linearParts(try batch.idMatrix(categorical), threshold: threshold) }
        if let denseProjection { parts.append(.rows(denseProjection(try batch.denseTensor(dense)))) }
        return parts
    }

    /// The backbone's task representations, the towers' inputs, one `[n, h]` per task in task
    /// order (the shared bottom's output repeated for `shared-bottom`). EKTM reads them
    /// (multitask.md §4.2 step 1). The experts of MMoE and the shared bottom read the input in
    /// parts; PLE's extraction layers read it concatenated.
    public func representations(_ batch: Batch) throws -> [Tensor] {
        if let extraction { return extraction(try input(batch)) }
        let parts = try inputParts(batch)
        if let mixture { return mixture(parts: parts) }
        return Array(repeating: bottom!(parts: parts), count: tasks.count)
    }


    /// One logit `[n]` per task, named by the task.
    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let logits = towerLogits(try representations(batch), rows: batch.size)
        return Dictionary(uniqueKeysWithValues: zip(tasks.map(\.name), logits))
    }

    /// Each task's tower on its representation `[n, width]` → logits `[n]`, in task order. The
    /// towers are independent: one per thread, forward and backward.
    public func towerLogits(_ representations: [Tensor], rows: Int) -> [Tensor] {
        Tensor.concurrently(representations, towers.map { tower in { tower($0) } }).map { $0.reshaped([rows]) }
    }
}

/// What `shared-bottom`, `mmoe` and `ple` share: requirements, outputs, the per-task objective
/// and the per-task evaluation.
public protocol MultiTaskModel: FunnelModel {
    var network: MultiTaskNetwork { get }
}

extension MultiTaskModel {
    public var requirements: DataRequirements { DataRequirements(columns: network.columns) }

    /// One binary task per task, in configuration order (`<task>_auc`, …; the first is primary):
    /// `σ(z_t)`, or `σ(z_c)·σ(z_t)` for a task chained on `c`.
    public var evaluationTasks: [EvaluationTask] {
        network.tasks.map { task in
            EvaluationTask(name: task.name, outputs: task.chainedOn.map { [$0, task.name] } ?? [task.name], label: task.label)
        }
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        try network(batch)
    }

    /// One named term per task, the mean BCE from logits (multitask.md §0), so a multi-task
    /// step (`multiTaskUpdate: "pub"`) takes each task's gradient on its own.
    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        let terms = try network.tasks.map { task -> Objective.Task in
            let labels = try batch.tensor(task.label)
            let logits = outputs[task.name]!
            let loss = task.chainedOn.map {
                Losses.productBinaryCrossEntropy(firstLogits: outputs[$0]!, secondLogits: logits, labels: labels)
            } ?? Losses.binaryCrossEntropy(logits: logits, labels: labels)
            return Objective.Task(name: task.name, loss: loss)
        }
        return Objective(tasks: terms)
    }
}
