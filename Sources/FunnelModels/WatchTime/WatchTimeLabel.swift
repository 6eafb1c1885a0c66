import Foundation
import FunnelData
import FunnelNN

/// A label computed from a watch time `w` and its video's duration `d` (whole seconds), fitted
/// on the training split and applied unchanged to every split: the baseline labels of
/// watchtime.md §0.5 and D2Co's corrected label (§1). Models learn each with binary
/// cross-entropy against soft labels in [0, 1]; WLR's label comes with a sample weight.
public enum WatchTimeLabel: Sendable {
    /// The label's name in configurations.
    public enum Kind: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// `(w − min w)/(max w − min w)` over the training split.
        case watchTime = "watch-time"
        /// PCR, the play completion rate `w / d`.
        case playCompletionRate = "pcr"
        /// WTG (Zheng et al., ACM MM 2022): `Φ((w − μ_d)/σ_d)` with the training mean and
        /// sample deviation of the watch times of duration d (gain 0 where σ_d = 0).
        case watchTimeGain = "wtg"
        /// D2Q (Zhan et al., KDD 2022): the watch time's percentile in its duration group,
        /// D2Co's SciPy "rank" kind.
        case durationQuantile = "d2q"
        /// D2Q with CWM's dense rank.
        case durationQuantileDense = "d2q-dense"
        /// WLR (Covington et al., RecSys 2016): `1[w > q₆₀]` with sample weight `w` on positives.
        case weightedLogistic = "wlr"
        /// CWM's NDT sigmoid `2.319/(1 + e^{−(w − v)/20}) − 0.744`, `v = exp(mean − sd of
        /// ln(w + 1))`, clipped to [0, 1] for cross-entropy [ASSUMED].
        case ndt
        /// D2Co's corrected interest label (§1).
        case d2co
    }

    /// Options of the fitted labels.
    public struct Options: Codable, Sendable, Equatable {
        /// The `*_denoise` variants: label 0 where `w < denoiseSeconds` (§0.5).
        public var denoise = false
        public var denoiseSeconds: Float = 5
        /// D2Q's G (D2Co's default 30; CWM's script 60).
        public var durationQuantileGroups = 30
        /// WLR's threshold quantile of the training watch times (CWM: 0.6).
        public var weightedQuantile: Float = 0.6
        public var d2co = D2CoCorrection.Options()

        public init() {}
    }

    case scaled(minimum: Float, maximum: Float)
    case playCompletionRate
    case watchTimeGain(DurationTable<(mean: Float, deviation: Float)>)
    case durationQuantile(DurationQuantiles)
    case weightedLogistic(threshold: Float)
    case ndt(center: Float)
    case d2co(D2CoCorrection)

    /// Fits a label on training watch times and durations (seconds, same length, non-empty).
    public static func fit(_ kind: Kind, watchTimes: [Float], durations: [Float], options: Options) throws -> WatchTimeLabel {
        guard !watchTimes.isEmpty, watchTimes.count == durations.count else {
            throw WatchTimeLabelError(description: "\(kind.rawValue): the training split has no watch times to fit the label on")
        }
        switch kind {
        case .watchTime:
            return .scaled(minimum: watchTimes.min()!, maximum: watchTimes.max()!)
        case .playCompletionRate:
            return .playCompletionRate
        case .watchTimeGain:
            let groups = DurationGroups(durations: durations)
            return .watchTimeGain(DurationTable(zip(groups.durations, groups.rows).map { duration, rows in
                let values = rows.map { Double(watchTimes[$0]) }
                let mean = values.reduce(0, +) / Double(values.count)
                // pandas' std: the sample deviation (ddof 1), undefined (here 0) for one record.
                let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                let deviation = values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0
                return (duration, (Float(mean), Float(deviation)))
            }))
        case .durationQuantile, .durationQuantileDense:
            return .durationQuantile(DurationQuantiles(
                watchTimes: watchTimes, durations: durations, groups: options.durationQuantileGroups,
                ranking: kind == .durationQuantile ? .percentile : .dense))
        case .weightedLogistic:
            return .weightedLogistic(
                threshold: Float(RelevanceRule.linearQuantile(watchTimes.map(Double.init), Double(options.weightedQuantile))))
        case .ndt:
            let logs = watchTimes.map { Foundation.log(Double($0) + 1) }
            let mean = logs.reduce(0, +) / Double(logs.count)
            // numpy's std (ddof 0).
            let deviation = (logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(logs.count)).squareRoot()
            return .ndt(center: Float(Foundation.exp(mean - deviation)))
        case .d2co:
            return .d2co(try D2CoCorrection(watchTimes: watchTimes, durations: durations, options: options.d2co))
        }
    }

    /// The label in [0, 1] and the sample weight of a watch time of a duration, before
    /// denoising.
    public func value(watchTime w: Float, duration d: Float) -> (label: Float, weight: Float) {
        switch self {
        case .scaled(let minimum, let maximum):
            return (maximum > minimum ? Self.unit((w - minimum) / (maximum - minimum)) : 0, 1)
        case .playCompletionRate:
            return (d > 0 ? Self.unit(w / d) : 0, 1)
        case .watchTimeGain(let table):
            let (mean, deviation) = table[d]
            let gain = deviation > 0 ? Double((w - mean) / deviation) : 0
            return (Float(0.5 * Foundation.erfc(-gain / 2.0.squareRoot())), 1)
        case .durationQuantile(let quantiles):
            return (quantiles.label(watchTime: w, duration: d), 1)
        case .weightedLogistic(let threshold):
            return w > threshold ? (1, w) : (0, 1)
        case .ndt(let center):
            return (Self.unit(2.319 / (1 + Foundation.exp(-(w - center) / 20)) - 0.744), 1)
        case .d2co(let correction):
            return (correction.label(watchTime: w, duration: d), 1)
        }
    }

    /// Labels and weights of many rows, denoised when the options say so.
    public func values(watchTimes: [Float], durations: [Float], options: Options) -> (labels: [Float], weights: [Float]) {
        var labels = [Float](repeating: 0, count: watchTimes.count)
        var weights = [Float](repeating: 1, count: watchTimes.count)
        for row in watchTimes.indices {
            let (label, weight) = value(watchTime: watchTimes[row], duration: durations[row])
            labels[row] = options.denoise && watchTimes[row] < options.denoiseSeconds ? 0 : label
            weights[row] = weight
        }
        return (labels, weights)
    }

    static func unit(_ value: Float) -> Float { Swift.min(1, Swift.max(0, value.isNaN ? 0 : value)) }
}
