/// The standard report on binary predictions: AUC, logloss, calibration and, with a grouping
/// key, the three GAUCs of USD (GAUC_avg, GAUC_show, GAUC_click) with the groups each dropped.
///
/// What `funnel metrics` prints for any system's predictions.
public struct BinaryEvaluation: Sendable, Equatable {
    /// Rows evaluated.
    public let count: Int
    /// Rows with a positive label.
    public let positives: Int
    public let auc: Double
    /// Logloss when the scores are probabilities in [0, 1]; `nil` for unbounded scores.
    public let logLoss: Double?
    /// Calibration when the scores are probabilities.
    public let calibration: Calibration?
    /// GAUC by weighting, when groups were given.
    public let groupedAUC: [GroupedAUC.Weighting: GroupedAUC]

    /// Evaluates scores against 0/1 labels.
    /// - Parameters:
    ///   - scores: one score per row (probabilities enable logloss and calibration).
    ///   - labels: one label per row, 0 or 1.
    ///   - groups: one grouping key per row (a user id), or `nil` for no GAUC.
    public init<Key: Hashable>(scores: [Double], labels: [Double], groups: [Key]?) throws(MetricError) {
        count = scores.count
        positives = labels.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        auc = try Metrics.auc(scores: scores, labels: labels)
        if scores.allSatisfy({ $0 >= 0 && $0 <= 1 }) {
            logLoss = try Metrics.logLoss(probabilities: scores, labels: labels)
            calibration = try Calibration(probabilities: scores, labels: labels)
        } else {
            logLoss = nil
            calibration = nil
        }
        var grouped: [GroupedAUC.Weighting: GroupedAUC] = [:]
        if let groups {
            for weighting in GroupedAUC.Weighting.allCases {
                grouped[weighting] = try GroupedAUC(scores: scores, labels: labels, groups: groups, weighting: weighting)
            }
        }
        groupedAUC = grouped
    }

    /// Named values in a fixed order, for tables and JSON.
    public var values: [(name: String, value: Double)] {
        var result: [(String, Double)] = [("rows", Double(count)), ("positives", Double(positives)), ("auc", auc)]
        if let logLoss { result.append(("logloss", logLoss)) }
        if let calibration {
            if let ratio = calibration.ratio { result.append(("calibration_ratio", ratio)) }
            result.append(("expected_calibration_error", calibration.expectedCalibrationError))
        }
        let names: [GroupedAUC.Weighting: String] = [.uniform: "gauc_avg", .exposures: "gauc_show", .clicks: "gauc_click"]
        for weighting in GroupedAUC.Weighting.allCases {
            guard let gauc = groupedAUC[weighting] else { continue }
            result.append((names[weighting]!, gauc.value))
            if weighting == .uniform {
                result.append(("groups_used", Double(gauc.groupsUsed)))
                result.append(("groups_dropped", Double(gauc.groupsDropped)))
                result.append(("rows_in_dropped_groups", Double(gauc.rowsDropped)))
            }
        }
        return result
    }
}
