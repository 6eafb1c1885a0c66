/// Group AUC (GAUC): the weighted mean of per-group AUCs, with one-class groups dropped.
///
/// `GAUC = Σ_u w_u·AUC_u / Σ_u w_u` over the groups `u` (users, or user and day) whose AUC is
/// defined (DIN, arXiv 1706.06978; USD, RecSys 2025; entire-space.md §2). A group whose labels
/// are all 1 or all 0 is dropped from the numerator *and* the denominator, and the value
/// reports how many groups and rows were dropped so that an experiment can print its protocol.
///
/// ```swift
/// let gauc = try GroupedAUC(
///     scores: scores, labels: clicks, groups: userIDs, weighting: .exposures)
/// print(gauc.value, gauc.groupsUsed, gauc.groupsDropped)
/// ```
public struct GroupedAUC: Sendable, Equatable {
    /// How each group's AUC is weighted (USD's GAUC_avg, GAUC_show and GAUC_click).
    public enum Weighting: String, Sendable, CaseIterable, Codable {
        /// `w_u = 1`: every usable group counts the same (GAUC_avg).
        case uniform
        /// `w_u` = the group's number of rows, its exposures (GAUC_show; DIN's original GAUC).
        case exposures
        /// `w_u` = the group's number of positive labels, its clicks (GAUC_click; D2Co's GAUC).
        case clicks
    }

    /// The GAUC, in `[0, 1]`.
    public let value: Double
    /// The weighting the value was computed with.
    public let weighting: Weighting
    /// Groups with both classes, which enter the mean.
    public let groupsUsed: Int
    /// Groups with one class only, dropped from numerator and denominator.
    public let groupsDropped: Int
    /// Rows held by the dropped groups.
    public let rowsDropped: Int
    /// `Σ_u w_u` over the used groups.
    public let totalWeight: Double

    /// Computes GAUC over the rows grouped by `groups`.
    ///
    /// - Parameters:
    ///   - scores: One score per row. NaN throws.
    ///   - labels: One label per row, exactly 0 or 1.
    ///   - groups: One key per row: a user id, or any `Hashable` value such as a struct of
    ///     user and day. Rows of one group need not be adjacent.
    ///   - weighting: `.uniform`, `.exposures` or `.clicks`; reports should name it.
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no rows,
    ///   ``MetricError/noUsableGroup(metric:groups:reason:)`` when every group has one class,
    ///   and the count, label and value errors for malformed input.
    @inlinable
    public init<Score: BinaryFloatingPoint, Label: BinaryFloatingPoint, Key: Hashable>(
        scores: [Score], labels: [Label], groups: [Key], weighting: Weighting
    ) throws(MetricError) {
        guard groups.count == scores.count else {
            throw .countMismatch(
                metric: "GAUC", argument: "groups", expected: scores.count, actual: groups.count)
        }
        try self.init(
            scores: Metrics.doubles(scores), labels: Metrics.doubles(labels),
            groupIdentifiers: RowGroups.identifiers(of: groups), weighting: weighting)
    }

    @usableFromInline
    init(
        scores: [Double], labels: [Double], groupIdentifiers: [Int], weighting: Weighting
    ) throws(MetricError) {
        let metric = "GAUC"
        guard !scores.isEmpty else { throw .emptyInput(metric: metric) }
        try InputValidation.requireCount(
            labels.count, scores.count, argument: "labels", metric: metric)
        try InputValidation.requireNoNaN(scores, argument: "scores", metric: metric)
        let positive = try InputValidation.binaryLabels(labels, metric: metric)
        let groups = RowGroups(identifiers: groupIdentifiers)

        var weightedSum = 0.0
        var totalWeight = 0.0
        var groupsUsed = 0
        var rowsDropped = 0
        for group in 0..<groups.count {
            let rows = Array(groups[group])
            let positives = rows.lazy.filter { positive[$0] }.count
            guard positives > 0, positives < rows.count,
                let auc = Metrics.mannWhitney(
                    scores: scores, positive: positive, weights: nil, rows: rows)
            else {
                rowsDropped += rows.count
                continue
            }
            let weight: Double
            switch weighting {
            case .uniform: weight = 1
            case .exposures: weight = Double(rows.count)
            case .clicks: weight = Double(positives)
            }
            weightedSum += weight * auc
            totalWeight += weight
            groupsUsed += 1
        }
        guard groupsUsed > 0 else {
            throw .noUsableGroup(
                metric: metric, groups: groups.count,
                reason: "every group has only positive or only negative labels")
        }
        self.value = weightedSum / totalWeight
        self.weighting = weighting
        self.groupsUsed = groupsUsed
        self.groupsDropped = groups.count - groupsUsed
        self.rowsDropped = rowsDropped
        self.totalWeight = totalWeight
    }
}
