/// The scalar metrics of Funnel, as functions of plain arrays.
///
/// Every metric takes `[Float]` or `[Double]` arrays (any `BinaryFloatingPoint`), converts them
/// to `Double` once and accumulates in `Double` (entire-space.md §0, convention 5). Inputs that
/// make a metric undefined throw a ``MetricError`` rather than return NaN.
///
/// The metrics over groups of rows, which report how many groups they used and dropped, are
/// values of their own: ``GroupedAUC`` (GAUC), ``GroupedXAUC`` (XGAUC), ``Calibration`` and,
/// for full-catalogue ranking, ``ItemRanking`` with ``RankingSummary``.
///
/// - AUC (Mann–Whitney, ties ½): ``auc(scores:labels:weights:)``
/// - logloss: ``logLoss(probabilities:labels:epsilon:weights:)`` and
///   ``logLoss(logits:labels:weights:)``
/// - nDCG@K of graded labels: ``ndcg(labelsInPredictedOrder:cutoff:)`` and
///   ``ndcg(scores:labels:cutoff:)``
/// - reciprocal rank: ``reciprocalRank(labelsInPredictedOrder:)`` and
///   ``reciprocalRank(scores:labels:)``
/// - means over users: ``meanNDCG(scores:labels:groups:cutoff:)`` and
///   ``meanReciprocalRank(scores:labels:groups:)``
/// - XAUC: ``xauc(predictions:targets:)``
public enum Metrics {}

extension Metrics {
    /// Converts any floating-point array to `Double`; specialised at the call site.
    @inlinable
    static func doubles<Value: BinaryFloatingPoint>(_ values: [Value]) -> [Double] {
        if let same = values as? [Double] { return same }
        return values.map { Double($0) }
    }
}
