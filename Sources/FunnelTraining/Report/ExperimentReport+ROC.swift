extension ExperimentReport {
    /// The exact ROC curve of `scores` against `labels`, downsampled to at most
    /// `maximumPoints` points.
    ///
    /// Rows are taken in decreasing score; each group of tied scores moves the curve in one
    /// step, a diagonal when the group holds both classes, so the area under the curve by the
    /// trapezoid rule equals the Mann–Whitney AUC with ties counted one half
    /// (`Metrics.auc(scores:labels:)` in FunnelMetrics). A soft label `y ∈ [0, 1]` counts as
    /// `y` of a positive and `1 − y` of a negative; a row whose score or label is NaN is left
    /// out. With only one class the curve is undefined and the result is the chance diagonal
    /// `(0, 0)`, `(1, 1)`.
    ///
    /// Downsampling keeps `(0, 0)`, `(1, 1)` and a subset of the exact points spread evenly
    /// along the curve's length, so the result stays monotone and follows steep parts as
    /// closely as flat ones.
    ///
    /// - Parameters:
    ///   - scores: One score per row; higher means more likely positive.
    ///   - labels: One label per row, 0 or 1 (or a soft label in between).
    ///   - maximumPoints: The most points to return; values below 2 count as 2.
    /// - Returns: Points with non-decreasing false- and true-positive rates, from `(0, 0)` to
    ///   `(1, 1)`.
    public static func rocCurve(
        scores: [Double], labels: [Double], maximumPoints: Int = 200
    ) -> [ROCPoint] {
        let rows = zip(scores, labels).filter { !$0.0.isNaN && !$0.1.isNaN }
        let positiveWeights = rows.map { min(max($0.1, 0), 1) }
        let positives = positiveWeights.reduce(0, +)
        let negatives = Double(rows.count) - positives
        let chance = [
            ROCPoint(falsePositiveRate: 0, truePositiveRate: 0),
            ROCPoint(falsePositiveRate: 1, truePositiveRate: 1),
        ]
        guard positives > 0, negatives > 0 else { return chance }

        let order = rows.indices.sorted { rows[$0].0 > rows[$1].0 }
        var points = [chance[0]]
        var truePositives = 0.0
        var falsePositives = 0.0
        var start = 0
        while start < order.count {
            let score = rows[order[start]].0
            var end = start
            while end < order.count, rows[order[end]].0 == score {
                truePositives += positiveWeights[order[end]]
                falsePositives += 1 - positiveWeights[order[end]]
                end += 1
            }
            points.append(
                ROCPoint(
                    falsePositiveRate: min(falsePositives / negatives, 1),
                    truePositiveRate: min(truePositives / positives, 1)))
            start = end
        }
        // Rounding in the sums may leave the last point a hair short of (1, 1).
        points[points.count - 1] = chance[1]
        return downsample(points, maximumPoints: maximumPoints)
    }

    /// The area under `curve` by the trapezoid rule; for an exact curve from
    /// ``rocCurve(scores:labels:maximumPoints:)`` this is the AUC with ties counted one half.
    ///
    /// - Parameter curve: Points in order of increasing false-positive rate.
    /// - Returns: The area, or NaN for fewer than two points.
    public static func area(under curve: [ROCPoint]) -> Double {
        guard curve.count > 1 else { return .nan }
        var area = 0.0
        for (previous, next) in zip(curve, curve.dropFirst()) {
            area +=
                (next.falsePositiveRate - previous.falsePositiveRate)
                * (next.truePositiveRate + previous.truePositiveRate) / 2
        }
        return area
    }

    /// At most `maximumPoints` of `points`: the first, the last, and those where the curve's
    /// length (in false- plus true-positive rate) first reaches each of evenly spaced marks.
    static func downsample(_ points: [ROCPoint], maximumPoints: Int) -> [ROCPoint] {
        let limit = max(2, maximumPoints)
        guard points.count > limit else { return points }
        var lengths = [0.0]
        for (previous, next) in zip(points, points.dropFirst()) {
            let step =
                (next.falsePositiveRate - previous.falsePositiveRate)
                + (next.truePositiveRate - previous.truePositiveRate)
            lengths.append(lengths[lengths.count - 1] + step)
        }
        let total = lengths[lengths.count - 1]
        var kept = [points[0]]
        var index = 1
        for mark in 1..<(limit - 1) {
            let target = total * Double(mark) / Double(limit - 1)
            while index < points.count - 1, lengths[index] < target { index += 1 }
            if index >= points.count - 1 { break }
            kept.append(points[index])
            index += 1
        }
        kept.append(points[points.count - 1])
        return kept
    }
}
