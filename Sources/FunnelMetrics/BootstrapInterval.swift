/// A percentile bootstrap confidence interval of a statistic of `n` rows (Efron, *Bootstrap
/// Methods: Another Look at the Jackknife*, Annals of Statistics 1979).
///
/// Each of `resamples` resamples draws `n` row indices uniformly with replacement from a
/// SplitMix64 stream seeded with `seed`, so the interval depends only on the rows, the statistic,
/// the seed and the resample count. The interval is the `(1 − level)/2` and `(1 + level)/2`
/// quantiles of the resampled statistics (linear interpolation between order statistics).
public struct BootstrapInterval: Sendable, Equatable, Codable {
    /// The statistic on all rows (not a resample mean).
    public var estimate: Double
    /// The lower end of the interval.
    public var lower: Double
    /// The upper end of the interval.
    public var upper: Double
    /// The confidence level, e.g. 0.95.
    public var level: Double
    /// The number of resamples.
    public var resamples: Int

    /// Bootstraps `statistic` over `count` rows.
    /// - Parameters:
    ///   - count: the number of rows `n` (at least 1).
    ///   - resamples: the number of resamples `B` (at least 2; default 1000).
    ///   - level: the confidence level in `(0, 1)` (default 0.95).
    ///   - seed: the seed of the resampling stream.
    ///   - statistic: the statistic of a list of row indices (repeats allowed); called once with
    ///     `0..<n` for ``estimate`` and once per resample.
    /// - Throws: ``MetricError/invalidArgument(metric:message:)`` for a bad count, resample count
    ///   or level, and whatever `statistic` throws.
    public init(
        count: Int, resamples: Int = 1000, level: Double = 0.95, seed: UInt64,
        statistic: ([Int]) throws(MetricError) -> Double
    ) throws(MetricError) {
        let metric = "bootstrap"
        guard count >= 1 else { throw .emptyInput(metric: metric) }
        guard resamples >= 2 else {
            throw .invalidArgument(metric: metric, message: "expected at least 2 resamples, got \(resamples)")
        }
        guard level > 0 && level < 1 else {
            throw .invalidArgument(metric: metric, message: "expected a level in (0, 1), got \(level)")
        }
        estimate = try statistic(Array(0..<count))
        var generator = SplitMix64(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var indices = [Int](repeating: 0, count: count)
        for _ in 0..<resamples {
            for position in 0..<count { indices[position] = generator.nextIndex(below: count) }
            values.append(try statistic(indices))
        }
        values.sort()
        lower = Self.quantile(values, (1 - level) / 2)
        upper = Self.quantile(values, (1 + level) / 2)
        self.level = level
        self.resamples = resamples
    }

    /// Whether `value` lies in `[lower, upper]`.
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }

    /// The `q`-quantile of sorted values, interpolating linearly between order statistics
    /// (NumPy's default `linear` method).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + fraction * (sorted[above] - sorted[below])
    }
}

/// Sebastiano Vigna's SplitMix64: a small, fast, seedable generator (the one
/// ``TruthEvaluation/drawLabels(_:seed:)`` uses), kept here so FunnelMetrics imports nothing.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x632B_E59B_D9B4_E019 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A uniform index in `0..<bound` (Lemire's multiply-shift: the high word of a 64-bit draw
    /// times `bound`, biased by at most `bound / 2⁶⁴`).
    mutating func nextIndex(below bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
