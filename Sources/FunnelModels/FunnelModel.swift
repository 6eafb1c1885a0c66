import FunnelData
import FunnelNN
import FunnelTensor

/// The contract every model keeps.
///
/// A model declares once what it reads (``requirements``: columns, sequence lengths, a
/// training-row sampler, sampled negatives), maps a batch to named outputs, returns its
/// ``Objective`` (named per-task terms), and says how it is evaluated (``evaluationTasks``:
/// binary, regression or item ranking). Training, evaluation, prediction and experiments read
/// the same declarations. A model whose training step is not forward → objective → backward →
/// clip → step supplies its own ``trainingStep``.
///
/// Adding a model: see `docs/adding-a-model.md`.
public protocol FunnelModel: Module {
    /// What the model reads from a dataset.
    var requirements: DataRequirements { get }
    /// What evaluation scores, in order; the first task is the primary one.
    var evaluationTasks: [EvaluationTask] { get }
    /// Named outputs: logits `[batch]` for binary tasks, values `[batch]` for regression tasks,
    /// scores `[batch, catalogue]` for ranking tasks.
    func callAsFunction(_ batch: Batch) throws -> [String: Tensor]
    /// The training objective of a batch's outputs.
    func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective
    /// The step that trains the model (`nil`: the one the training configuration chooses).
    var trainingStep: (any TrainingStep)? { get }
    /// Readies the model to score many batches with its parameters as they are now: work that
    /// only they decide is done once (the entire-space network folds its first layers,
    /// ``EntireSpaceNetwork/foldForInference(budget:)``). Scores stay the same up to rounding; a
    /// forward pass in training undoes it. A scorer of a loaded model calls it.
    func prepareForInference()
}

extension FunnelModel {
    public var trainingStep: (any TrainingStep)? { nil }
    public func prepareForInference() {}
}

/// The categorical and dense features and the label of a plain CTR model, chosen by name or,
/// by default, every usable column of the dataset.
public struct FeatureSelection: Codable, Sendable, Equatable {
    /// Categorical columns (side-table columns as `"side.column"`); `nil`: every categorical
    /// column of the splits whose role is feature, user or item, and every categorical feature
    /// column of the side tables (keys excluded).
    public var categorical: [String]?
    /// Dense columns; `nil`: every dense feature column (truth and propensities excluded).
    public var dense: [String]?
    /// The label the model learns.
    public var label: String

    public init(categorical: [String]? = nil, dense: [String]? = nil, label: String = "click") {
        self.categorical = categorical
        self.dense = dense
        self.label = label
    }

    /// The columns resolved against a dataset, with each categorical column's vocabulary size.
    public func resolve(in dataset: Dataset) throws -> (categorical: [String], sizes: [Int], dense: [String]) {
        let schema = dataset.schema
        guard schema.resolvedColumn(label)?.kind == .label else {
            throw DataError.missingRequirement(dataset: schema.name, column: label, reason: "the model's label")
        }
        let sideKeys = Set(schema.sideTables.flatMap { side in side.key.map { "\(side.name).\($0)" } })
        let sideColumns = schema.sideTables.flatMap { side in side.columns.map { ("\(side.name).\($0.name)", $0) } }
        let allColumns = schema.columns.map { ($0.name, $0) } + sideColumns
        let categorical = categorical ?? allColumns.compactMap { name, column in
            column.kind == .categorical && [.feature, .user, .item].contains(column.role) && !sideKeys.contains(name)
                ? name : nil
        }
        let dense = dense ?? allColumns.compactMap { name, column in
            column.kind == .dense && column.role == .feature ? name : nil
        }
        let sizes = try categorical.map { name -> Int in
            guard let column = allColumns.first(where: { $0.0 == name })?.1, column.kind == .categorical else {
                throw DataError.missingRequirement(dataset: schema.name, column: name, reason: "a categorical feature of the model")
            }
            let owner = name.split(separator: ".").last.map(String.init) ?? name
            guard let vocabulary = dataset.vocabulary(for: column.vocabularyOf ?? owner) ?? dataset.vocabulary(for: owner) else {
                throw DataError.missingRequirement(dataset: schema.name, column: name, reason: "no vocabulary")
            }
            return vocabulary.size
        }
        for name in dense where !allColumns.contains(where: { $0.0 == name && $0.1.kind == .dense }) {
            throw DataError.missingRequirement(dataset: schema.name, column: name, reason: "a dense feature of the model")
        }
        return (categorical, sizes, dense)
    }
}
