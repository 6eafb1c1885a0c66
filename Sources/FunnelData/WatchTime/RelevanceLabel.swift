/// The binary relevance label that watch-time models are evaluated on (watchtime.md §0.2,
/// `long_view2` of the D2Co and CWM repositories' `cal_ground_truth.py`).
///
/// Both rules call a view relevant when the video was played to its end while being short, or
/// watched for longer than a threshold θ while being long:
///
/// - ``fixedThreshold(_:)`` (D2Co, θ = 18 s): `y = 1` if (`w_trunc / d ≥ 1` and `d ≤ θ`) or
///   (`w_trunc > θ` and `d > θ`);
/// - ``quantile(_:)`` (CWM, θ = the 0.7-quantile of `w_trunc` over the whole dataset, numpy's
///   default linear interpolation): `y = 1` if (`play_time ≥ d` and `d ≤ θ`) or
///   (`w_trunc > θ` and `d > θ`).
///
/// ```swift
/// let rule = RelevanceRule.quantile(0.7)
/// let theta = rule.threshold(truncatedWatchTimes: [3, 10, 20, 40])   // 20 + 0.1 × 20 = 22
/// rule.label(truncatedWatchTime: 30, playTime: 30, duration: 60, threshold: theta)  // 1
/// ```
public enum RelevanceRule: Sendable, Equatable, CustomStringConvertible {
    /// D2Co's rule with a fixed threshold θ in seconds.
    case fixedThreshold(Float)
    /// CWM's rule with θ the given quantile (in 0...1) of the truncated watch times.
    case quantile(Double)

    /// D2Co's default: θ = 18 s (watchtime.md §0.2).
    public static let d2co = RelevanceRule.fixedThreshold(18)
    /// CWM's default: θ = the 0.7-quantile of `w_trunc` (watchtime.md §0.2).
    public static let cwm = RelevanceRule.quantile(0.7)

    /// θ in seconds: the fixed value, or the quantile of `truncatedWatchTimes` (all splits of
    /// the prepared dataset; 0 when there are none).
    public func threshold(truncatedWatchTimes: [Double]) -> Double {
        switch self {
        case .fixedThreshold(let theta):
            return Double(theta)
        case .quantile(let level):
            return Self.linearQuantile(truncatedWatchTimes, level)
        }
    }

    /// The label (0 or 1) of one view, from the truncated watch time `min(play_time, d)`, the
    /// untruncated play time and the duration, all in the same unit as `threshold`.
    ///
    /// D2Co writes `w_trunc / d ≥ 1`; that is `w_trunc ≥ d` for `d > 0`, and false for `d = 0`
    /// (pandas gives NaN for 0 / 0, and NaN ≥ 1 is false), which is what is computed here.
    public func label(truncatedWatchTime: Double, playTime: Double, duration: Double, threshold: Double) -> Float {
        let completed: Bool
        switch self {
        case .fixedThreshold:
            completed = duration > 0 && truncatedWatchTime >= duration
        case .quantile:
            completed = playTime >= duration
        }
        let short = duration <= threshold
        return (completed && short) || (truncatedWatchTime > threshold && !short) ? 1 : 0
    }

    /// The labels of many views with one θ (`threshold(truncatedWatchTimes:)` of the same values
    /// for the quantile rule).
    public func labels(truncatedWatchTimes: [Double], playTimes: [Double], durations: [Double]) -> (labels: [Float], threshold: Double) {
        precondition(truncatedWatchTimes.count == playTimes.count && playTimes.count == durations.count,
                     "Funnel: relevance labels need as many play times and durations as watch times")
        let theta = threshold(truncatedWatchTimes: truncatedWatchTimes)
        let labels = truncatedWatchTimes.indices.map {
            label(truncatedWatchTime: truncatedWatchTimes[$0], playTime: playTimes[$0], duration: durations[$0], threshold: theta)
        }
        return (labels, theta)
    }

    /// numpy's `quantile(values, level)` with its default method `"linear"` (type 7 of Hyndman
    /// and Fan): the sorted values at the virtual index `(n − 1) × level`, interpolated between
    /// its two neighbours the way numpy's `_lerp` does it (from the upper neighbour when the
    /// fraction is at least 0.5), so that the result is bit-identical.
    public static func linearQuantile(_ values: [Double], _ level: Double) -> Double {
        linearQuantile(sorted: values.sorted(), level)
    }

    /// ``linearQuantile(_:_:)`` of values already sorted ascending (several levels of one
    /// sample sort it once).
    public static func linearQuantile(sorted: [Double], _ level: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = Double(sorted.count - 1) * Swift.min(Swift.max(level, 0), 1)
        let below = Int(index.rounded(.down))
        let above = Swift.min(below + 1, sorted.count - 1)
        let fraction = index - Double(below)
        let (lower, upper) = (sorted[below], sorted[above])
        let difference = upper - lower
        return fraction >= 0.5 ? upper - difference * (1 - fraction) : lower + difference * fraction
    }

    public var description: String {
        switch self {
        case .fixedThreshold(let theta): return "fixed threshold θ = \(theta) s (D2Co)"
        case .quantile(let level): return "θ = the \(level)-quantile of w_trunc (CWM)"
        }
    }
}
