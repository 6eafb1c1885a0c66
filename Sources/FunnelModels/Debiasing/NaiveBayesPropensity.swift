/// Naive-Bayes propensities of observing a rating, from the ratings of a missing-not-at-random
/// log and a small missing-at-random sample (Schnabel, Swaminathan, Singh, Chandak, Joachims,
/// "Recommendations as Treatments: Debiasing Learning and Evaluation", ICML 2016,
/// arXiv 1602.05352, §5):
///
/// `P(O = 1 | Y = y) = P(Y = y | O = 1) · P(O = 1) / P(Y = y)`, with
/// - `P(Y = y | O = 1)`: the share of rating `y` among the observed (MNAR) ratings;
/// - `P(O = 1) = |observed| / cells` (Coat: 6,960 / (290 · 300));
/// - `P(Y = y)`: the share of `y` among the missing-at-random ratings.
///
/// The propensity depends on the rating only, so every cell with the same rating shares it.
/// A level observed in the log but absent from the missing-at-random sample would get an
/// infinite propensity ratio and is refused, naming the level; a ratio above 1 (possible with a
/// small sample) is capped at 1.
public struct NaiveBayesPropensity: Sendable, Equatable {
    /// Rating level → `P(O = 1 | Y = y)`, in `(0, 1]`.
    public let propensities: [Float: Double]
    /// `P(O = 1)`.
    public let observedRate: Double

    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - observedRatings: the ratings of the MNAR log (one per observed cell).
    ///   - missingAtRandomRatings: the ratings of the missing-at-random sample.
    ///   - cells: the number of cells of the full matrix (users × items).
    public init(observedRatings: [Float], missingAtRandomRatings: [Float], cells: Int) throws {
        guard !observedRatings.isEmpty, !missingAtRandomRatings.isEmpty, cells >= observedRatings.count else {
            throw Refusal(
                description: "Naive-Bayes propensities need observed and missing-at-random ratings and at least as many cells as observed ratings (\(observedRatings.count) observed, \(missingAtRandomRatings.count) missing-at-random, \(cells) cells)")
        }
        let observed = Self.shares(observedRatings)
        let random = Self.shares(missingAtRandomRatings)
        observedRate = Double(observedRatings.count) / Double(cells)
        var propensities: [Float: Double] = [:]
        for (level, share) in observed {
            guard let marginal = random[level] else {
                throw Refusal(
                    description: "rating \(level) occurs \(Int((share * Double(observedRatings.count)).rounded())) times in the observed ratings but never in the \(missingAtRandomRatings.count) missing-at-random ratings: P(Y = \(level)) = 0 (take a larger sample)")
            }
            propensities[level] = Swift.min(share * observedRate / marginal, 1)
        }
        self.propensities = propensities
    }

    /// `P(O = 1 | Y = rating)`, or `nil` for a level the observed ratings never hold.
    public func propensity(of rating: Float) -> Double? {
        propensities[rating]
    }

    /// Level → share of the values.
    static func shares(_ values: [Float]) -> [Float: Double] {
        var counts: [Float: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return counts.mapValues { Double($0) / Double(values.count) }
    }
}
