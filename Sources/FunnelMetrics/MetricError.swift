/// Why a metric could not be computed.
///
/// Every metric in `FunnelMetrics` throws one of these instead of returning NaN, so that an
/// undefined value (an empty evaluation set, a user with one class only) is reported where it
/// happens. Each case's `description` says what was expected and what was found.
public enum MetricError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No rows were given to a metric that needs at least one.
    case emptyInput(metric: String)
    /// Two arrays that pair up row by row have different lengths.
    case countMismatch(metric: String, argument: String, expected: Int, actual: Int)
    /// A binary-label metric (AUC) saw only one class.
    case singleClass(metric: String, positives: Int, negatives: Int)
    /// A label lies outside the metric's domain, for example 0.5 where AUC needs 0 or 1.
    case invalidLabel(metric: String, index: Int, value: Double, expected: String)
    /// A score, probability, weight or target is NaN or outside its domain.
    case invalidValue(metric: String, argument: String, index: Int, value: Double, expected: String)
    /// A parameter (cutoff, bin count, epsilon, item index) is out of range.
    case invalidArgument(metric: String, message: String)
    /// Every group was dropped, so a grouped metric has nothing to average.
    case noUsableGroup(metric: String, groups: Int, reason: String)

    /// The index of the row at fault, for errors about one row's value (to locate it in a file).
    public var rowIndex: Int? {
        switch self {
        case .invalidLabel(_, let index, _, _), .invalidValue(_, _, let index, _, _): return index
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .emptyInput(let metric):
            return "\(metric): expected at least one row, got an empty input"
        case .countMismatch(let metric, let argument, let expected, let actual):
            return "\(metric): expected \(argument) to have \(expected) entries, one per row, "
                + "got \(actual)"
        case .singleClass(let metric, let positives, let negatives):
            return "\(metric): undefined with one class; expected at least one positive and one "
                + "negative label, got \(positives) positive and \(negatives) negative"
        case .invalidLabel(let metric, let index, let value, let expected):
            return "\(metric): label \(value) at index \(index) is invalid; expected \(expected)"
        case .invalidValue(let metric, let argument, let index, let value, let expected):
            return "\(metric): \(argument)[\(index)] = \(value) is invalid; expected \(expected)"
        case .invalidArgument(let metric, let message):
            return "\(metric): \(message)"
        case .noUsableGroup(let metric, let groups, let reason):
            return "\(metric): all \(groups) groups were dropped (\(reason)); "
                + "expected at least one usable group"
        }
    }
}
