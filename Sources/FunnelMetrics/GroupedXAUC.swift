/// XGAUC: the mean of per-user XAUC weighted by the user's number of rows.
///
/// `XGAUC = Σ_u n_u·XAUC_u / Σ_u n_u` over users whose total target (watch time) is positive
/// (watchtime.md §0.4, the D2Co validation metric). Users with zero total watch time are
/// dropped and reported. A used user with a single row has XAUC 1, as
/// ``Metrics/xauc(predictions:targets:)`` defines for fewer than two rows.
public struct GroupedXAUC: Sendable, Equatable {
    /// The XGAUC, in `[0, 1]`.
    public let value: Double
    /// Groups with positive total target, which enter the mean.
    public let groupsUsed: Int
    /// Groups with total target ≤ 0, dropped.
    public let groupsDropped: Int
    /// Rows held by the dropped groups.
    public let rowsDropped: Int

    /// Computes XGAUC over the rows grouped by `groups`.
    ///
    /// - Parameters:
    ///   - predictions: One prediction per row (such as predicted watch time); NaN throws.
    ///   - targets: One continuous target per row (such as watch time); NaN throws.
    ///   - groups: One key per row, such as the user id; rows need not be adjacent.
    /// - Throws: ``MetricError/emptyInput(metric:)`` for no rows,
    ///   ``MetricError/noUsableGroup(metric:groups:reason:)`` when no group has a positive
    ///   total, and count and value errors.
    @inlinable
    public init<Prediction: BinaryFloatingPoint, Target: BinaryFloatingPoint, Key: Hashable>(
        predictions: [Prediction], targets: [Target], groups: [Key]
    ) throws(MetricError) {
        try InputValidation.requireCount(
            groups.count, predictions.count, argument: "groups", metric: "XGAUC")
        try self.init(
            predictions: Metrics.doubles(predictions), targets: Metrics.doubles(targets),
            groupIdentifiers: RowGroups.identifiers(of: groups))
    }

    @usableFromInline
    init(predictions: [Double], targets: [Double], groupIdentifiers: [Int]) throws(MetricError) {
        let metric = "XGAUC"
        guard !predictions.isEmpty else { throw .emptyInput(metric: metric) }
        try Metrics.validateXAUC(predictions: predictions, targets: targets, metric: metric)
        let groups = RowGroups(identifiers: groupIdentifiers)
        var weightedSum = 0.0
        var rowsUsed = 0
        var groupsUsed = 0
        for group in 0..<groups.count {
            let rows = Array(groups[group])
            guard rows.reduce(0.0, { $0 + targets[$1] }) > 0 else { continue }
            weightedSum +=
                Double(rows.count)
                * Metrics.xauc(predictions: predictions, targets: targets, rows: rows)
            rowsUsed += rows.count
            groupsUsed += 1
        }
        guard groupsUsed > 0 else {
            throw .noUsableGroup(
                metric: metric, groups: groups.count, reason: "no group has a positive total target"
            )
        }
        self.value = weightedSum / Double(rowsUsed)
        self.groupsUsed = groupsUsed
        self.groupsDropped = groups.count - groupsUsed
        self.rowsDropped = predictions.count - rowsUsed
    }
}
