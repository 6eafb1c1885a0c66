import Foundation
import FunnelTensor

/// CWM's censored likelihood of the counterfactual watch time (Zhao et al., "Counteracting
/// Duration Bias in Video Recommendation via Counterfactual Watch Time", KDD 2024, arXiv
/// 2406.07932; watchtime.md §2.1).
///
/// The counterfactual watch time `w_c` — what the user would watch were the video long enough —
/// relates to interest `r` through CWM's cost model `r = exp(−c⁻¹ / (w_c + 1))`. The model's
/// unbounded logit `s` is the interest logit; a row with `w < d` observed `w_c = w`, scored by
/// `(s − t(w))² / (2σ²)` with `t = logit r(w)`; a complete play (`w ≥ d`) only says
/// `w_c ≥ d`, scored by `−log σ((s − t(d))/σ)`. The loss is the mean over the batch's
/// non-truncated rows plus the mean over its truncated rows, an empty half skipped (§2.4).
public struct CounterfactualWatchLikelihood: Codable, Sendable, Equatable {
    /// c⁻¹ = 1/c, the watch-time scale (CWM's KuaiRand script: 40; argparse default 10).
    public var costInverse: Float = 40
    /// σ, the noise scale on the interest logit (KuaiRand script: 2; argparse default 0.3).
    public var sigma: Float = 2

    public init() {}

    public init(costInverse: Float, sigma: Float) {
        self.costInverse = costInverse
        self.sigma = sigma
    }

    /// `r(w) = exp(−c⁻¹/(w + 1))`.
    public func interest(watchTime: Float) -> Double {
        Foundation.exp(-Double(costInverse) / (Double(watchTime) + 1))
    }

    /// `t(w) = logit r(w)` with r clamped to `[1e-6, 1 − 1e-6]`.
    public func targetLogit(watchTime: Float) -> Float {
        let r = Swift.min(1 - 1e-6, Swift.max(1e-6, interest(watchTime: watchTime)))
        return Float(Foundation.log(r) - Foundation.log1p(-r))
    }

    /// The loss of logits `[n]` for rows with watch times and durations (seconds).
    public func loss(logits: Tensor, watchTimes: [Float], durations: [Float]) -> Tensor {
        precondition(logits.shape == [watchTimes.count] && durations.count == watchTimes.count, "Funnel: CWM needs a watch time and a duration per logit")
        var targets = [Float](repeating: 0, count: watchTimes.count)
        var truncated = [Float](repeating: 0, count: watchTimes.count)
        for row in watchTimes.indices {
            let isTruncated = watchTimes[row] >= durations[row]
            truncated[row] = isTruncated ? 1 : 0
            // A complete play has w = d after truncation; t(d) either way.
            targets[row] = targetLogit(watchTime: isTruncated ? durations[row] : watchTimes[row])
        }
        let truncatedCount = truncated.reduce(0, +)
        let observedCount = Float(watchTimes.count) - truncatedCount
        let difference = logits - Tensor(targets)
        var terms: [Tensor] = []
        if observedCount > 0 {
            let observed = Tensor(truncated.map { 1 - $0 })
            terms.append((difference * difference * observed).sum() * (1 / (2 * sigma * sigma * observedCount)))
        }
        if truncatedCount > 0 {
            let survival = (difference * (-1 / sigma)).softplus()
            terms.append((survival * Tensor(truncated)).sum() * (1 / truncatedCount))
        }
        return terms.dropFirst().reduce(terms[0], +)
    }

    /// `ŵ = clip(c⁻¹ / (−log σ(s) + 1e-6) − 1, 0, d)` (§2.1).
    public func predictedWatchTime(logit: Float, duration: Float) -> Float {
        let s = Double(logit)
        let negativeLogSigmoid = Swift.max(-s, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(s)))
        let value = Double(costInverse) / (negativeLogSigmoid + 1e-6) - 1
        return Float(Swift.min(Double(duration), Swift.max(0, value)))
    }
}
