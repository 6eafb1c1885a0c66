import Foundation
import FunnelData
import FunnelNN
import FunnelTensor

/// Matrix factorisation with user and item biases: `r̂ = μ + b_u + b_i + p_u · q_i` (Koren, Bell,
/// Volinsky, "Matrix Factorization Techniques for Recommender Systems", IEEE Computer 2009; the
/// base model of MF-IPS, Schnabel et al., ICML 2016, arXiv 1602.05352, and of MF-DR-JL, Wang,
/// Zhang, Sun, Qi, ICML 2019, PMLR 97:6638–6647).
///
/// Factors start from N(0, 0.1²), biases from 0 and `μ` from a given value (the mean training
/// target); every table gives row-sparse gradients.
///
/// Shapes: user and item ids `[n]` → values `[n]` and the L2 penalty `[]`
/// `(1/n) Σ_rows (‖p_u‖² + ‖q_i‖² + b_u² + b_i²)` over the rows the batch touches.
public final class MatrixFactorisationNetwork: Module {
    public let userFactors: Embedding
    public let itemFactors: Embedding
    public let userBiases: Embedding
    public let itemBiases: Embedding
    /// `μ`, shape `[1]`.
    public let globalBias: Tensor

    public init(users: Int, items: Int, dimensions: Int, globalBias: Float, generator: inout RandomGenerator) {
        let factors = Initializer.normal(mean: 0, standardDeviation: 0.1)
        userFactors = Embedding(count: users, dimensions: dimensions, initializer: factors, generator: &generator)
        itemFactors = Embedding(count: items, dimensions: dimensions, initializer: factors, generator: &generator)
        userBiases = Embedding(count: users, dimensions: 1, initializer: .constant(0), generator: &generator)
        itemBiases = Embedding(count: items, dimensions: 1, initializer: .constant(0), generator: &generator)
        self.globalBias = Tensor([globalBias], requiresGradient: true)
        super.init()
    }

    /// The values `[n]` of the cells `(users[k], items[k])` and their L2 penalty `[]`.
    public func callAsFunction(users: [Int32], items: [Int32]) -> (values: Tensor, penalty: Tensor) {
        let count = users.count
        let userVectors = userFactors(users)
        let itemVectors = itemFactors(items)
        let userBias = userBiases(users).reshaped([count])
        let itemBias = itemBiases(items).reshaped([count])
        let values = globalBias.broadcasted(to: [count]) + userBias + itemBias + (userVectors * itemVectors).sum(alongAxes: [1])
        let squares = (userVectors * userVectors).sum() + (itemVectors * itemVectors).sum() + (userBias * userBias).sum()
            + (itemBias * itemBias).sum()
        return (values, squares / Float(Swift.max(count, 1)))
    }

    /// The user and item columns of a dataset (roles `user`, `item`) and their vocabulary sizes.
    static func matrix(of dataset: Dataset) throws -> (users: String, items: String, userCount: Int, itemCount: Int) {
        let schema = dataset.schema
        guard let users = schema.columns.first(where: { $0.role == .user })?.name,
            let items = schema.columns.first(where: { $0.role == .item })?.name,
            let userCount = dataset.vocabulary(for: users)?.size, let itemCount = dataset.vocabulary(for: items)?.size
        else {
            throw DataError.missingRequirement(dataset: schema.name, column: "user/item", reason: "matrix factorisation needs a user and an item column (roles user, item) with vocabularies")
        }
        return (users, items, userCount, itemCount)
    }

    /// The label learned: `configured`, or the dataset's first label column.
    static func label(_ configured: String?, in dataset: Dataset) throws -> String {
        guard let label = configured ?? dataset.schema.columns.first(where: { $0.kind == .label })?.name,
            dataset.schema.column(named: label)?.kind == .label
        else {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: configured ?? "(a label)", reason: "the label matrix factorisation learns")
        }
        return label
    }

    /// `μ`'s start: the mean training label (squared error) or its logit (logistic).
    static func initialGlobalBias(dataset: Dataset, split: String, label: String, loss: MatrixFactorisationLoss) throws -> Float {
        let values = try dataset.rowValues(split: split, column: label)
        let mean = values.isEmpty ? 0 : values.reduce(0, +) / Float(values.count)
        switch loss {
        case .squaredError: return mean
        case .logistic:
            let rate = Swift.min(Swift.max(mean, 1e-3), 1 - 1e-3)
            return Foundation.log(rate / (1 - rate))
        }
    }

    /// The per-row loss `δ` `[n]`: `(r̂ − y)²` or the binary cross-entropy of the logit `r̂`
    /// against `y` (soft labels allowed).
    static func losses(values: Tensor, labels: Tensor, loss: MatrixFactorisationLoss) -> Tensor {
        switch loss {
        case .squaredError: Losses.meanSquaredError(predictions: values, targets: labels, reduction: .none)
        case .logistic: Losses.binaryCrossEntropy(logits: values, labels: labels, reduction: .none)
        }
    }

    /// The one evaluation task: a regression of the value (MAE, MSE, RMSE) or a binary task on
    /// the logit with per-user NDCG@K and Recall@K.
    static func evaluationTask(label: String, loss: MatrixFactorisationLoss, cutoffs: [Int], excluded: EvaluationTask.ExcludedRows?)
        -> EvaluationTask
    {
        switch loss {
        case .squaredError:
            EvaluationTask(
                name: "", outputs: [label], label: label, scoreDescription: "μ + b_u + b_i + p_u·q_i",
                kind: .regression(RegressionProtocol()), excludedRows: excluded)
        case .logistic:
            EvaluationTask(name: "", outputs: [label], label: label, groupedCutoffs: cutoffs, excludedRows: excluded)
        }
    }
}

/// The settings both debiased MF models read the dataset by (their configurations conform).
protocol MatrixObservationSettings {
    var label: String? { get }
    var weighting: ObservationWeighting { get }
    var propensity: String? { get }
    var naiveBayesColumn: String { get }
    var trainSplit: String { get }
    var missingAtRandomSplit: String { get }
    var missingAtRandomFraction: Double { get }
}

/// What a debiased MF model reads from the dataset: the matrix's user and item columns, the
/// label learned and the observation propensities.
struct MatrixObservations {
    let users: String
    let items: String
    /// The matrix's size (the user and item vocabularies).
    let userCount: Int
    let itemCount: Int
    let label: String
    let propensities: ObservationPropensities

    init(dataset: Dataset, settings: some MatrixObservationSettings, seed: UInt64) throws {
        let matrix = try MatrixFactorisationNetwork.matrix(of: dataset)
        label = try MatrixFactorisationNetwork.label(settings.label, in: dataset)
        (users, items, userCount, itemCount) = matrix
        propensities = try ObservationPropensities(
            dataset: dataset, weighting: settings.weighting, trainSplit: settings.trainSplit,
            sampleSplit: settings.missingAtRandomSplit, sampleFraction: settings.missingAtRandomFraction,
            column: settings.propensity, naiveBayesColumn: settings.naiveBayesColumn, users: users, items: items, seed: seed)
    }
}
