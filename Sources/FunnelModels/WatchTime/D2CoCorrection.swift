import Foundation

/// D2Co's watch-time correction (Zhao et al., "Uncovering User Interest from Biased and Noised
/// Watch Time in Video Recommendation", RecSys 2023, arXiv 2308.08120; watchtime.md §1.1).
///
/// Fitted on the training split: per whole-second duration with at least `minimumRecords`
/// records, a two-component mixture of the watch times (``TwoComponentMixture``) gives the
/// noise mean `μ⁻_d` and the interested mean `μ⁺_d` (with `π⁺_d`, `σ⁻_d`, `σ⁺_d`); each
/// sequence is smoothed over the fitted durations by the frequency-weighted moving average of
/// window `2T − 1` (``movingAverage(_:frequencies:window:)``), using the record counts of
/// exactly the fitted durations (§1.4: the reference misaligns them when a duration has 1–2
/// records). A watch time `w` of duration `d` then becomes the interest label
/// `r = clip(expm1(α(w − q)) / expm1(α(p − q)), 0, 1)` with `q = μ̄⁻_d`, `p = μ̄⁺_d` — the
/// sensitivity-controlled D2Co(S); `α = 0` is the affine D2Co(A) `clip((w − q)/(p − q), 0, 1)`.
public struct D2CoCorrection: Sendable {
    /// D2Co's options (watchtime.md §1.2).
    public struct Options: Codable, Sendable, Equatable {
        /// Sensitivity α: 0 is the affine D2Co(A); < 0 concave, > 0 convex. [ASSUMED] −0.05
        /// (the MindSpore port's KuaiRand value); tune over {−0.1, −0.05, 0, 0.05, 0.1, 0.3}.
        public var alpha: Float = -0.05
        /// T: the moving average spans `2T − 1` fitted durations (training default 3).
        public var window = 3
        /// Durations with fewer records get no mixture of their own (the reference: more than 2).
        public var minimumRecords = 3
        /// EM's cap and tolerance on the mean log-likelihood (scikit-learn's defaults).
        public var maximumIterations = 500
        public var tolerance: Double = 1e-3

        public init() {}
    }

    /// One fitted duration's smoothed mixture.
    public struct Parameters: Sendable, Equatable {
        /// `μ̄⁻_d`, `μ̄⁺_d`, `π̄⁺_d`, `σ̄⁻_d`, `σ̄⁺_d`.
        public var noiseMean, interestMean, interestWeight, noiseDeviation, interestDeviation: Double
    }

    public let options: Options
    /// Smoothed parameters per fitted duration (unfitted durations take the nearest).
    public let table: DurationTable<Parameters>

    /// Fits the mixtures on training watch times and durations (seconds).
    /// - Throws: ``WatchTimeLabelError`` when no duration has `minimumRecords` records.
    public init(watchTimes: [Float], durations: [Float], options: Options = Options()) throws {
        self.options = options
        let groups = DurationGroups(durations: durations)
        var fitted: [(duration: Int, count: Double, mixture: TwoComponentMixture)] = []
        for (duration, rows) in zip(groups.durations, groups.rows) where rows.count >= options.minimumRecords {
            var counts: [Double: Double] = [:]
            for row in rows { counts[Double(watchTimes[row]), default: 0] += 1 }
            let values = Array(counts.keys)
            let mixture = TwoComponentMixture(
                values: values, counts: values.map { counts[$0]! }, maximumIterations: options.maximumIterations,
                tolerance: options.tolerance)
            fitted.append((duration, Double(rows.count), mixture))
        }
        guard !fitted.isEmpty else {
            throw WatchTimeLabelError(
                description: "D2Co: no duration has \(options.minimumRecords) or more training records to fit a mixture to")
        }
        let frequencies = fitted.map(\.count)
        func smoothed(_ value: (TwoComponentMixture) -> Double) -> [Double] {
            Self.movingAverage(fitted.map { value($0.mixture) }, frequencies: frequencies, window: options.window)
        }
        let noise = smoothed { $0.lower.mean }
        let interest = smoothed { $0.upper.mean }
        let weight = smoothed { $0.upper.weight }
        let noiseDeviation = smoothed { $0.lower.standardDeviation }
        let interestDeviation = smoothed { $0.upper.standardDeviation }
        table = DurationTable(fitted.indices.map { index in
            (fitted[index].duration, Parameters(
                noiseMean: noise[index], interestMean: interest[index], interestWeight: weight[index],
                noiseDeviation: noiseDeviation[index], interestDeviation: interestDeviation[index]))
        })
    }

    /// The interest label of a watch time of a duration (seconds), in [0, 1].
    public func label(watchTime: Float, duration: Float) -> Float {
        let parameters = table[duration]
        return Float(Self.correct(
            watchTime: Double(watchTime), noise: parameters.noiseMean, interest: parameters.interestMean,
            alpha: Double(options.alpha)))
    }

    /// `clip(expm1(α(w − q)) / expm1(α(p − q)), 0, 1)`, `clip((w − q)/(p − q), 0, 1)` at α = 0:
    /// the expm1 form is exact as α → 0 (the literal form with a 1e-6 guard gives ≈ 0.005
    /// instead of 0.5 at α = 1e-9, §1.1 step 3). A degenerate fit (`p − q < 1e-6`) gives the
    /// step `1[w > q]`.
    public static func correct(watchTime: Double, noise q: Double, interest p: Double, alpha: Double) -> Double {
        guard p - q >= 1e-6 else { return watchTime > q ? 1 : 0 }
        let ratio = alpha == 0 ? (watchTime - q) / (p - q) : Foundation.expm1(alpha * (watchTime - q)) / Foundation.expm1(alpha * (p - q))
        return Swift.min(1, Swift.max(0, ratio.isNaN ? 0 : ratio))
    }

    /// `v̄_i = Σ_{j∈W(i)} n_j v_j / Σ_{j∈W(i)} n_j` over the `2T − 1` entries centred on `i`,
    /// truncated at the ends (§1.1 step 2). `(1, 2, 3)` with frequencies `(1, 1, 2)` and T = 2
    /// give `(1.5, 2.25, 8/3)`.
    public static func movingAverage(_ values: [Double], frequencies: [Double], window: Int) -> [Double] {
        precondition(values.count == frequencies.count && window >= 1, "Funnel: a moving average needs a frequency per value")
        let reach = window - 1
        return values.indices.map { index in
            let span = Swift.max(0, index - reach)...Swift.min(values.count - 1, index + reach)
            var weighted = 0.0
            var total = 0.0
            for position in span {
                weighted += frequencies[position] * values[position]
                total += frequencies[position]
            }
            return weighted / total
        }
    }
}

/// A watch-time label that cannot be fitted on the training split.
public struct WatchTimeLabelError: Error, CustomStringConvertible {
    public let description: String
}
