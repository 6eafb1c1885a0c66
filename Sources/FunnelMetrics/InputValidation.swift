/// Checks shared by the metrics, each throwing a ``MetricError`` that names the metric.
@usableFromInline
enum InputValidation {
    /// Throws unless `actual == expected`.
    @usableFromInline
    static func requireCount(
        _ actual: Int, _ expected: Int, argument: String, metric: String
    ) throws(MetricError) {
        guard actual == expected else {
            throw .countMismatch(
                metric: metric, argument: argument, expected: expected, actual: actual)
        }
    }

    /// Throws at the first NaN.
    static func requireNoNaN(
        _ values: [Double], argument: String, metric: String
    ) throws(MetricError) {
        if let index = values.firstIndex(where: { $0.isNaN }) {
            throw .invalidValue(
                metric: metric, argument: argument, index: index, value: values[index],
                expected: "a number, not NaN")
        }
    }

    /// Throws at the first value outside `range` (NaN included).
    static func requireWithin(
        _ values: [Double], _ range: ClosedRange<Double>, argument: String, metric: String
    ) throws(MetricError) {
        if let index = values.firstIndex(where: { !range.contains($0) }) {
            throw .invalidValue(
                metric: metric, argument: argument, index: index, value: values[index],
                expected: "a value in [\(range.lowerBound), \(range.upperBound)]")
        }
    }

    /// Labels that must be exactly 0 or 1, returned as `true` for positive.
    static func binaryLabels(_ labels: [Double], metric: String) throws(MetricError) -> [Bool] {
        var positive = [Bool](repeating: false, count: labels.count)
        for (index, label) in labels.enumerated() {
            if label == 1 {
                positive[index] = true
            } else if label != 0 {
                throw .invalidLabel(
                    metric: metric, index: index, value: label, expected: "0 or 1")
            }
        }
        return positive
    }

    /// Labels in `[0, 1]` (soft labels allowed).
    static func unitLabels(_ labels: [Double], metric: String) throws(MetricError) {
        if let index = labels.firstIndex(where: { !(0...1).contains($0) }) {
            throw .invalidLabel(
                metric: metric, index: index, value: labels[index], expected: "a value in [0, 1]")
        }
    }

    /// Optional per-row weights: one per row, finite and non-negative, with a positive sum.
    static func weights(
        _ weights: [Double]?, count: Int, metric: String
    ) throws(MetricError) {
        guard let weights else { return }
        try requireCount(weights.count, count, argument: "weights", metric: metric)
        if let index = weights.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw .invalidValue(
                metric: metric, argument: "weights", index: index, value: weights[index],
                expected: "a finite, non-negative weight")
        }
        guard weights.reduce(0, +) > 0 else {
            throw .invalidArgument(metric: metric, message: "expected weights with a positive sum")
        }
    }
}
