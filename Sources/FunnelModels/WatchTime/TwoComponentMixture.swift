import Foundation

/// A one-dimensional Gaussian mixture of two components fitted by EM: D2Co's duration-wise
/// model of watch time (watchtime.md §1.1 step 1; Zhao et al., RecSys 2023, arXiv 2308.08120).
///
/// The component with the smaller mean is the noise (`w⁻_d`, users deciding within seconds),
/// the larger the duration-biased watch time of an interested user (`w⁺_d`).
///
/// The reference fits scikit-learn's `GaussianMixture(2, covariance_type="spherical",
/// init_params="kmeans", max_iter=500, random_state=61)`. Here the k-means initialisation is
/// exact: in one dimension the optimal two-means split is a cut of the sorted values, found by
/// one scan, so the fit needs no random draw and is the same on every run (scikit-learn's
/// seeded k-means reaches that optimum on all but pathological data). EM then runs until the
/// mean log-likelihood gains less than `tolerance` (scikit-learn's 1e-3) or `maximumIterations`
/// pass; `varianceFloor` is scikit-learn's `reg_covar` (1e-6), added to each variance.
/// Values come as distinct values with counts: watch times are whole seconds, so a duration's
/// thousands of records hold at most `d + 1` distinct values.
public struct TwoComponentMixture: Sendable, Equatable {
    /// `(mean, standard deviation, weight)` of the noise (smaller-mean) component.
    public var lower: Component
    /// `(mean, standard deviation, weight)` of the interest (larger-mean) component.
    public var upper: Component
    /// EM iterations run.
    public var iterations: Int

    public struct Component: Sendable, Equatable {
        public var mean: Double
        public var standardDeviation: Double
        public var weight: Double
    }

    /// Fits the mixture to `values` with multiplicities `counts` (both non-empty, same length,
    /// counts positive).
    public init(
        values: [Double], counts: [Double], maximumIterations: Int = 500, tolerance: Double = 1e-3,
        varianceFloor: Double = 1e-6
    ) {
        precondition(!values.isEmpty && values.count == counts.count, "Funnel: a mixture needs values with counts")
        let order = values.indices.sorted { values[$0] < values[$1] }
        let sortedValues = order.map { values[$0] }
        let sortedCounts = order.map { counts[$0] }
        let total = sortedCounts.reduce(0, +)
        // Initial responsibilities: the optimal two-means cut (all values in one component if
        // they are all equal).
        let cut = Self.bestCut(values: sortedValues, counts: sortedCounts)
        var responsibility = sortedValues.indices.map { $0 < cut ? 1.0 : 0.0 }
        var parameters = Self.maximisation(
            values: sortedValues, counts: sortedCounts, responsibility: responsibility, total: total, varianceFloor: varianceFloor)
        var previous = -Double.infinity
        var iterations = 0
        while iterations < maximumIterations {
            iterations += 1
            let (updated, logLikelihood) = Self.expectation(values: sortedValues, counts: sortedCounts, parameters: parameters)
            responsibility = updated
            parameters = Self.maximisation(
                values: sortedValues, counts: sortedCounts, responsibility: responsibility, total: total, varianceFloor: varianceFloor)
            let mean = logLikelihood / total
            if Swift.abs(mean - previous) < tolerance { break }
            previous = mean
        }
        let (first, second) = parameters
        (lower, upper) = first.mean <= second.mean ? (first, second) : (second, first)
        self.iterations = iterations
    }

    /// The index splitting the sorted values into the two groups of least within-group
    /// weighted squared deviation (`0` when every value is equal).
    static func bestCut(values: [Double], counts: [Double]) -> Int {
        let totalCount = counts.reduce(0, +)
        let totalSum = zip(values, counts).reduce(0) { $0 + $1.0 * $1.1 }
        var best = (cost: Double.infinity, cut: 0)
        var leftCount = 0.0
        var leftSum = 0.0
        for cut in 1..<Swift.max(values.count, 1) where values.count > 1 {
            leftCount += counts[cut - 1]
            leftSum += values[cut - 1] * counts[cut - 1]
            guard values[cut] > values[cut - 1] else { continue }
            let rightCount = totalCount - leftCount
            let rightSum = totalSum - leftSum
            // Within-group sum of squares = Σx² − (Σx)²/n per group; Σx² is common to all cuts.
            let cost = -(leftSum * leftSum / leftCount) - (rightSum * rightSum / rightCount)
            if cost < best.cost { best = (cost, cut) }
        }
        return best.cut
    }

    /// Responsibilities of the first component and the total log-likelihood.
    static func expectation(values: [Double], counts: [Double], parameters: (Component, Component)) -> ([Double], Double) {
        let components = [parameters.0, parameters.1]
        var logLikelihood = 0.0
        let responsibility = values.indices.map { index -> Double in
            let logDensities = components.map { component -> Double in
                let deviation = values[index] - component.mean
                let variance = component.standardDeviation * component.standardDeviation
                return Foundation.log(Swift.max(component.weight, .leastNormalMagnitude)) - 0.5 * Foundation.log(2 * Double.pi * variance)
                    - deviation * deviation / (2 * variance)
            }
            let largest = Swift.max(logDensities[0], logDensities[1])
            let logSum = largest + Foundation.log(Foundation.exp(logDensities[0] - largest) + Foundation.exp(logDensities[1] - largest))
            logLikelihood += counts[index] * logSum
            return Foundation.exp(logDensities[0] - logSum)
        }
        return (responsibility, logLikelihood)
    }

    /// Weights, means and variances from responsibilities of the first component.
    static func maximisation(
        values: [Double], counts: [Double], responsibility: [Double], total: Double, varianceFloor: Double
    ) -> (Component, Component) {
        func component(_ share: (Int) -> Double) -> Component {
            var mass = 0.0
            var sum = 0.0
            for index in values.indices {
                mass += counts[index] * share(index)
                sum += counts[index] * share(index) * values[index]
            }
            // 10·eps keeps an empty component finite, as scikit-learn does.
            let safeMass = mass + 10 * Double.ulpOfOne
            let mean = sum / safeMass
            var squares = 0.0
            for index in values.indices {
                let deviation = values[index] - mean
                squares += counts[index] * share(index) * deviation * deviation
            }
            return Component(mean: mean, standardDeviation: (squares / safeMass + varianceFloor).squareRoot(), weight: safeMass / total)
        }
        return (component { responsibility[$0] }, component { 1 - responsibility[$0] })
    }
}
