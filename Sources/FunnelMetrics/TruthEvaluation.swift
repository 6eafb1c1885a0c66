/// How well scores recover a simulator's ground truth over the entire exposure space.
///
/// Real logs only show outcomes that happened; a simulator knows the probability behind every
/// exposure (clicked or not, looked at or not). Labels are drawn once from those probabilities
/// with a fixed seed, so every model is scored against the same draw: AUC and logloss against
/// the drawn labels, and the Pearson correlation of scores with the probabilities themselves.
public struct TruthEvaluation: Sendable, Equatable {
    /// AUC of the scores against labels drawn from the true probabilities.
    public let auc: Double
    /// Logloss against the drawn labels, when the scores are probabilities.
    public let logLoss: Double?
    /// Pearson correlation between the scores and the true probabilities.
    public let correlation: Double
    /// The AUC the true probabilities themselves reach on the same draw (the ceiling).
    public let truthAUC: Double

    /// - Parameters:
    ///   - scores: one score per exposure.
    ///   - trueProbabilities: the simulator's probability for each exposure, in [0, 1].
    ///   - seed: the seed of the label draw (keep it fixed across models).
    public init(scores: [Double], trueProbabilities: [Double], seed: UInt64 = 0) throws(MetricError) {
        guard scores.count == trueProbabilities.count else {
            throw .countMismatch(metric: "truth", argument: "trueProbabilities", expected: scores.count, actual: trueProbabilities.count)
        }
        for (index, probability) in trueProbabilities.enumerated() where !(probability >= 0 && probability <= 1) {
            throw .invalidValue(metric: "truth", argument: "trueProbabilities", index: index, value: probability, expected: "a probability in [0, 1]")
        }
        let labels = Self.drawLabels(trueProbabilities, seed: seed)
        auc = try Metrics.auc(scores: scores, labels: labels)
        truthAUC = try Metrics.auc(scores: trueProbabilities, labels: labels)
        logLoss = scores.allSatisfy { $0 >= 0 && $0 <= 1 } ? try Metrics.logLoss(probabilities: scores, labels: labels) : nil
        correlation = Self.pearson(scores, trueProbabilities)
    }

    /// 0/1 labels with P(label = 1) = probability, from a SplitMix64 stream.
    public static func drawLabels(_ probabilities: [Double], seed: UInt64) -> [Double] {
        var state = seed &+ 0x632B_E59B_D9B4_E019
        return probabilities.map { probability in
            state &+= 0x9E37_79B9_7F4A_7C15
            var value = state
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
            value ^= value >> 31
            return Double(value >> 11) * 0x1p-53 < probability ? 1 : 0
        }
    }

    static func pearson(_ first: [Double], _ second: [Double]) -> Double {
        let count = Double(first.count)
        let firstMean = first.reduce(0, +) / count
        let secondMean = second.reduce(0, +) / count
        var covariance = 0.0, firstVariance = 0.0, secondVariance = 0.0
        for (x, y) in zip(first, second) {
            covariance += (x - firstMean) * (y - secondMean)
            firstVariance += (x - firstMean) * (x - firstMean)
            secondVariance += (y - secondMean) * (y - secondMean)
        }
        let denominator = (firstVariance * secondVariance).squareRoot()
        return denominator > 0 ? covariance / denominator : 0
    }
}
