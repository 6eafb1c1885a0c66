import FunnelData
import FunnelNN
import FunnelTensor

/// MF-DR-JL: a prediction MF and an imputation MF learned together with the doubly-robust loss
/// over all user–item cells (Wang, Zhang, Sun, Qi, "Doubly Robust Joint Learning for
/// Recommendation on Data Missing Not at Random", ICML 2019, PMLR 97:6638–6647;
/// entire-space.md §3.2), on `CounterfactualRisk.doublyRobust`.
///
/// Every step takes the batch's `n` observed cells and `n·k` cells drawn from the step's
/// generator (`NegativeSampling` on the item column: each observed row's user with `k` uniform
/// items other than its own, so the users of the drawn cells follow the training rows — uniform
/// on Coat, 24 ratings per user). The imputation MF predicts a label `ỹ` for every cell; the
/// imputed error is `ê = δ(r̂, ỹ)` (the prediction's loss against the imputed label), the
/// observed error `e = δ(r̂, y)`.
/// - prediction task: `L_DR = (1/N) Σ [ê + o·(e − ê)/p']` over the `N = n(1 + k)` cells, with
///   the imputation held fixed (`ỹ` detached);
/// - imputation task: `L_imp = (1/N) Σ o·(e − ê)²/p'` with the prediction held fixed (`r̂`
///   detached);
/// - `p' = (P/P̄)/(1 + k)`: with `n` of the `N` cells observed, the observed term
///   `(1/N) Σ_O (e − ê)/p'` estimates the paper's `(1/|D|) Σ_O (e − ê)/P` for the whole matrix.
///   The `ê` average runs over the observed cells too (a fraction `1/(1 + k)` of the sample
///   instead of `P̄` of the matrix), a small bias that shrinks as `k` grows.
///
/// The paper alternates the two updates; here both tasks are summed into one backward pass per
/// step. Since each task's gradient reaches only its own MF (the other is detached) and the
/// parameters are disjoint, this is the alternation with both updates computed from the same
/// step's values (a simultaneous, Jacobi-style alternation).
///
/// Weighting `none` uses the uniform propensity `P = P̄` (DR with an uninformative propensity).
///
/// Shapes: `n` observed cells → the prediction's `[n]` under the label's name (a rating, or a
/// logit for the logistic loss).
public final class DoublyRobustJointLearning: Module, RegisteredModel {
    public static let summary = "MF-DR-JL: prediction and imputation MFs, the doubly-robust loss over all cells (Wang et al. ICML 2019) (user, item, a rating or 0/1 label)"
    public static var testFixture: ModelFixture { ModelFixture(world: "funnel", configuration: #"{"label": "click", "loss": "logistic"}"#) }

    /// What the imputation MF is fitted to.
    public enum ImputationLoss: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// The paper's `L_imp = (1/N) Σ o·(e − ê)²/p'`: the imputed error matches the observed one.
        case error
        /// The observed label itself, IPS-weighted: `CounterfactualRisk.inversePropensity` of
        /// `δ(ỹ, y)` over the observed cells. For the squared error `L_imp`'s gradient
        /// `∝ (e − ê)·(r̂ − ỹ)` is small while the imputation follows the prediction (both start
        /// at `μ`), and `ỹ = 2r̂ − y` fits as well as `ỹ = y`; this fits `ỹ` to the label directly
        /// (a deviation from the paper, chosen for Coat's rating version on validation RMSE).
        case label
    }

    public struct Configuration: ModelConfiguration, MatrixObservationSettings, Equatable {
        /// `nil`: the dataset's first label column (Coat: `rating`).
        public var label: String?
        public var loss = MatrixFactorisationLoss.squaredError
        public var dimensions = 16
        /// `d` of the imputation MF.
        public var imputationDimensions = 16
        public var l2: Float = 1e-3
        /// `none` (the default, so that the model builds on datasets without propensities) is DR
        /// with the uniform propensity `P̄`; Coat's experiment sets `ips`.
        public var weighting = ObservationWeighting.none
        public var imputationLoss = ImputationLoss.error
        public var propensityClip: Float?
        public var propensity: String?
        public var naiveBayesColumn = "rating"
        /// `k`: cells drawn from the whole matrix per observed row and step.
        public var sampledCells = 4
        public var trainSplit = "train"
        public var missingAtRandomSplit = "test"
        public var missingAtRandomFraction = 0.05
        public var groupedCutoffs = [5]

        public init() {}

        public func validate() throws {
            try MatrixFactorisation.Configuration.check(
                label: label, dimensions: dimensions, l2: l2, propensityClip: propensityClip,
                fraction: missingAtRandomFraction, cutoffs: groupedCutoffs)
            let check = ModelConfigurationCheck()
            try check.positive(imputationDimensions, "imputationDimensions", what: "a number of factor dimensions")
            try check.positive(sampledCells, "sampledCells", maximum: ModelConfigurationCheck.maximumCount, what: "a number of drawn cells per row")
        }
    }

    public let prediction: MatrixFactorisationNetwork
    public let imputation: MatrixFactorisationNetwork
    public let propensities: ObservationPropensities
    public let configuration: Configuration
    public let users: String
    public let items: String
    public let label: String

    public init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws {
        let observations = try MatrixObservations(dataset: dataset, settings: configuration, seed: seed)
        (users, items, label, propensities) = (observations.users, observations.items, observations.label, observations.propensities)
        let globalBias = try MatrixFactorisationNetwork.initialGlobalBias(
            dataset: dataset, split: configuration.trainSplit, label: label, loss: configuration.loss)
        var generator = RandomGenerator(seed: seed)
        prediction = MatrixFactorisationNetwork(
            users: observations.userCount, items: observations.itemCount, dimensions: configuration.dimensions, globalBias: globalBias,
            generator: &generator)
        imputation = MatrixFactorisationNetwork(
            users: observations.userCount, items: observations.itemCount, dimensions: configuration.imputationDimensions,
            globalBias: globalBias, generator: &generator)
        self.configuration = configuration
        super.init()
    }

    public var requirements: DataRequirements {
        DataRequirements(
            columns: Set([users, items, label]).union(propensities.columns),
            negativeSampling: NegativeSampling(column: items, count: configuration.sampledCells))
    }

    public var evaluationTasks: [EvaluationTask] {
        [MatrixFactorisationNetwork.evaluationTask(
            label: label, loss: configuration.loss, cutoffs: configuration.groupedCutoffs,
            excluded: propensities.excludedRows)]
    }

    public func callAsFunction(_ batch: Batch) throws -> [String: Tensor] {
        let observedUsers = try batch.idMatrix([users])
        let observedItems = try batch.idMatrix([items])
        guard isTraining, let drawn = batch.negatives[items] else {
            return [label: prediction(users: observedUsers, items: observedItems).values]
        }
        // The observed cells first, then each row's drawn cells.
        let count = configuration.sampledCells
        let cellUsers = observedUsers + observedUsers.flatMap { Array(repeating: $0, count: count) }
        let cellItems = observedItems + drawn
        let predicted = prediction(users: cellUsers, items: cellItems)
        let imputed = imputation(users: cellUsers, items: cellItems)
        return [
            label: predicted.values.sliced(alongAxis: 0, 0..<batch.size), "cells": predicted.values,
            "imputed": imputed.values, "penalty": predicted.penalty, "imputationPenalty": imputed.penalty,
        ]
    }

    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        guard let cells = outputs["cells"], let imputed = outputs["imputed"], let penalty = outputs["penalty"],
            let imputationPenalty = outputs["imputationPenalty"]
        else {
            throw DataError.missingRequirement(dataset: "batch", column: items, reason: "MF-DR-JL trains on drawn cells (negative sampling)")
        }
        let observedCount = batch.size
        let total = cells.count
        let loss = configuration.loss
        let labels = Tensor.concatenated(
            [try batch.tensor(label), Tensor(shape: [total - observedCount], repeating: 0)], alongAxis: 0)
        let observed = Tensor.concatenated(
            [Tensor(shape: [observedCount], repeating: 1), Tensor(shape: [total - observedCount], repeating: 0)], alongAxis: 0)
        let normalised = try propensities.normalisedPropensities(batch) ?? Tensor(shape: [observedCount], repeating: 1)
        let scale = 1 / Float(1 + configuration.sampledCells)
        let scaled = Tensor.concatenated([normalised * scale, Tensor(shape: [total - observedCount], repeating: 1)], alongAxis: 0)
        let floor = (configuration.propensityClip ?? 1e-6) / Float(propensities.observedRate) * scale
        // The imputed label: a rating, or a probability for the logistic loss.
        let imputedLabels = { (values: Tensor) in loss == .logistic ? values.sigmoid() : values }
        let risk = CounterfactualRisk.doublyRobust(
            errors: MatrixFactorisationNetwork.losses(values: cells, labels: labels, loss: loss),
            imputedErrors: MatrixFactorisationNetwork.losses(values: cells, labels: imputedLabels(imputed.detached()), loss: loss),
            observed: observed, propensities: scaled, floor: floor).risk
        let imputation: Tensor
        switch configuration.imputationLoss {
        case .error:
            let fixed = cells.detached()
            imputation = CounterfactualRisk.doublyRobust(
                errors: MatrixFactorisationNetwork.losses(values: fixed, labels: labels, loss: loss),
                imputedErrors: MatrixFactorisationNetwork.losses(values: fixed, labels: imputedLabels(imputed), loss: loss),
                observed: observed, propensities: scaled, floor: floor).imputation
        case .label:
            imputation = CounterfactualRisk.inversePropensity(
                losses: MatrixFactorisationNetwork.losses(
                    values: imputed.sliced(alongAxis: 0, 0..<observedCount), labels: try batch.tensor(label), loss: loss),
                observed: Tensor(shape: [observedCount], repeating: 1), propensities: normalised, floor: floor / scale)
        }
        return Objective(tasks: [
            Objective.Task(name: "prediction", loss: risk), Objective.Task(name: "imputation", loss: imputation),
            Objective.Task(name: "l2", loss: penalty + imputationPenalty, weight: configuration.l2),
        ])
    }
}
