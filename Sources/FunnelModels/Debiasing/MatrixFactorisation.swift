import FunnelData
import FunnelNN
import FunnelTensor

/// Matrix factorisation on observed ratings, naive or debiased by inverse propensities: MF-IPS
/// (Schnabel, Swaminathan, Singh, Chandak, Joachims, "Recommendations as Treatments: Debiasing
/// Learning and Evaluation", ICML 2016, arXiv 1602.05352, §4–§5; entire-space.md §3.1).
///
/// The network is ``MatrixFactorisationNetwork`` (`r̂ = μ + b_u + b_i + p_u · q_i`). Its loss on
/// a batch of observed cells is the mean of `δ` (weighting `none`) or the IPS estimate
/// `CounterfactualRisk.inversePropensity` of it with the propensities `P/P̄` (``ObservationPropensities``:
/// the dataset's column, or Naive-Bayes propensities from a missing-at-random sample),
/// self-normalised on request and floored at `propensityClip`, plus `l2` times the batch's
/// penalty (the paper's `λ‖θ‖²`, applied to the rows each batch touches so that gradients stay
/// row-sparse; not the optimizer's weight decay).
///
/// Shapes: a batch of `n` observed cells → `[n]` under the label's name (a predicted rating, or
/// a logit for the logistic loss).
public final class MatrixFactorisation: Module, RegisteredModel {
    public static let summary = "matrix factorisation with biases, naive or MF-IPS (given or Naive-Bayes propensities; Schnabel et al. ICML 2016) (user, item, a rating or 0/1 label)"
    public static var testFixture: ModelFixture { ModelFixture(world: "funnel", configuration: #"{"label": "click", "loss": "logistic"}"#) }

    public struct Configuration: ModelConfiguration, MatrixObservationSettings, Equatable {
        /// The label learned: a rating (`squared-error`) or a 0/1 label (`logistic`); `nil`: the
        /// dataset's first label column (Coat: `rating`).
        public var label: String?
        public var loss = MatrixFactorisationLoss.squaredError
        /// `d`, the width of `p_u` and `q_i`.
        public var dimensions = 16
        /// `λ` of the L2 penalty on the rows a batch touches.
        public var l2: Float = 1e-3
        public var weighting = ObservationWeighting.none
        /// IPS weights normalised by their batch sum (SNIPS) instead of the cell count.
        public var selfNormalised = false
        /// A floor on the propensity `P` (clipping the weights at `1/floor`); `nil`: 1e-6.
        public var propensityClip: Float?
        /// The propensity column of weighting `ips` (`nil`: the column whose role is propensity).
        public var propensity: String?
        /// The column whose levels Naive-Bayes propensities condition on (Coat: the rating).
        public var naiveBayesColumn = "rating"
        public var trainSplit = "train"
        /// The split the missing-at-random sample comes from (and is left out of evaluation).
        public var missingAtRandomSplit = "test"
        public var missingAtRandomFraction = 0.05
        /// Cutoffs of per-user NDCG@K and Recall@K (logistic loss).
        public var groupedCutoffs = [5]

        public init() {}

        public func validate() throws {
            try Self.check(
                label: label, dimensions: dimensions, l2: l2, propensityClip: propensityClip,
                fraction: missingAtRandomFraction, cutoffs: groupedCutoffs)
        }

        /// The checks both debiased MF models share.
        static func check(label: String?, dimensions: Int, l2: Float, propensityClip: Float?, fraction: Double, cutoffs: [Int]) throws {
            let check = ModelConfigurationCheck()
            if let label { try check.name(label, "label") }
            try check.positive(dimensions, "dimensions", what: "a number of factor dimensions")
            try check.nonNegative(l2, "l2")
            if let propensityClip { try check.floor(propensityClip, "propensityClip") }
            guard fraction >= 0, fraction < 1 else {
                throw StrictJSON.Error(description: "field 'modelConfiguration.missingAtRandomFraction': \(fraction); expected a fraction in [0, 1)")
            }
            for (index, cutoff) in cutoffs.enumerated() where cutoff < 1 {
                throw StrictJSON.Error(description: "field 'modelConfiguration.groupedCutoffs[\(index)]': \(cutoff); expected a cutoff >= 1")
            }
        }
    }

    public let network: MatrixFactorisationNetwork
    public let propensities: ObservationPropensities
    public let configuration: Configuration
    public let users: String
    public let items: String
    /// The label learned (the configuration's, or the dataset's first label column).
    public let label: String

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        let observations = try MatrixObservations(dataset: dataset, settings: configuration, seed: seed)
        (users, items, label, propensities) = (observations.users, observations.items, observations.label, observations.propensities)
        var generator = RandomGenerator(seed: seed)
        network = MatrixFactorisationNetwork(
            users: observations.userCount, items: observations.itemCount, dimensions: configuration.dimensions,
            globalBias: try MatrixFactorisationNetwork.initialGlobalBias(
                dataset: dataset, split: configuration.trainSplit, label: label, loss: configuration.loss),
            generator: &generator)
        self.configuration = configuration
        super.init()
    }

    public var requirements: DataRequirements {
        DataRequirements(columns: Set([users, items, label]).union(propensities.columns))
    }

    public var evaluationTasks: [EvaluationTask] {
        [MatrixFactorisationNetwork.evaluationTask(
            label: label, loss: configuration.loss, cutoffs: configuration.groupedCutoffs,
            excluded: propensities.excludedRows)]
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let cells = try network(users: batch.idMatrix([users]), items: batch.idMatrix([items]))
        return isTraining ? [label: cells.values, "penalty": cells.penalty] : [label: cells.values]
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        guard let values = outputs[label], let penalty = outputs["penalty"] else {
            throw DataError.missingRequirement(dataset: "model outputs", column: label, reason: "the objective needs the training outputs")
        }
        let losses = MatrixFactorisationNetwork.losses(values: values, labels: try batch.tensor(label), loss: configuration.loss)
        let risk: Tensor
        if let normalised = try propensities.normalisedPropensities(batch) {
            let floor = (configuration.propensityClip ?? 1e-6) / Float(propensities.observedRate)
            risk = CounterfactualRisk.inversePropensity(
                losses: losses, observed: Tensor(shape: [batch.size], repeating: 1), propensities: normalised, floor: floor,
                normalisation: configuration.selfNormalised ? .selfNormalised : .all)
        } else {
            risk = losses.mean()
        }
        return Objective(tasks: [Objective.Task(name: "risk", loss: risk), Objective.Task(name: "l2", loss: penalty, weight: configuration.l2)])
    }
}
