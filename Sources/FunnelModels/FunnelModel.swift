import FunnelData
import FunnelNN
import FunnelTensor

/// The contract every model of the registry keeps.
///
/// A model declares the columns it reads and the labels it needs (a dataset lacking one is
/// refused with the column's name when the model is built), maps a batch to named logits —
/// one `[batch]` tensor per task — and returns its loss with the values worth logging.
public protocol FunnelModel: Module {
    /// The columns the batcher must gather (main-table names, side-table columns as
    /// `"side.column"`).
    var columns: Set<String> { get }
    /// The label each output is trained and evaluated against, by output name.
    var labels: [String: String] { get }
    /// The output evaluation scores first (its probability is σ(logit)).
    var primaryOutput: String { get }
    /// What evaluation scores, in order; the first task is the primary one (the default:
    /// `primaryOutput` against its label over every row).
    var evaluationTasks: [EvaluationTask] { get }
    /// Named logits, each of shape `[batch]`.
    func callAsFunction(_ batch: Batch) throws -> [String: Tensor]
    /// The training loss (a scalar) and the values worth logging.
    func loss(_ outputs: [String: Tensor], batch: Batch) throws -> (loss: Tensor, logs: [String: Double])
    /// The fixed length of each id-list column it reads (`"side.column"` names).
    var sequencePolicies: [String: SequencePolicy] { get }
    /// Which rows of a training split the model learns from — its sampler (USD keeps the
    /// exposures of the day's portal visitors, Eq. 1); `nil`: every row.
    func trainingRows(in dataset: Dataset, split: String) throws -> [Bool]?
}

extension FunnelModel {
    public var sequencePolicies: [String: SequencePolicy] { [:] }
    public func trainingRows(in dataset: Dataset, split: String) throws -> [Bool]? { nil }
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
