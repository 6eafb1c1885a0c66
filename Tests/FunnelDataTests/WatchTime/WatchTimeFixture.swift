import Foundation

@testable import FunnelData

/// A hand-written KuaiRand-shaped log and the steps of `funnel data watch-time` on it.
enum WatchTimeFixture {
    /// Line by line (header = line 1): 2 dropped by duration (lines 3 and 6), 1 outside the
    /// dates (line 9); train lines 2 and 7, validation line 4, test lines 5 and 8.
    static let log = """
        user_id,video_id,date,play_time_ms,duration_ms,is_like,tab
        1,10,20220408,2500,30000,0,1
        1,11,20220409,3500,3500,1,1
        2,10,20220422,45000,30000,0,2
        2,12,20220430,5500,5500,0,1
        3,13,20220430,100000,250000,0,1
        3,10,20220410,20000,30000,1,2
        1,12,20220501,4500,240400,0,1
        4,14,20220301,10000,20000,0,1

        """

    /// Reads `files` (paths) and prepares them with the KuaiRand date split (or `plan`).
    static func prepare(
        _ files: [String], users: String? = nil, videos: String? = nil, features: [String]? = nil,
        includeFeedbackFlags: Bool = false, plan: WatchTimePreparation.SplitPlan = .kuaiRand
    ) throws -> WatchTimePreparation {
        let log = try WatchTimeLog.read(
            logs: files, users: users, videos: videos, features: features, includeFeedbackFlags: includeFeedbackFlags,
            requireDates: plan != .single)
        return try WatchTimePreparation(log: log, options: .init(unitIsMilliseconds: true, splits: plan))
    }

    /// The rows of a written split as text: one array of field values per row, by column name.
    static func rows(_ dataset: Dataset, _ split: String, _ columns: [String]) throws -> [[Double]] {
        let table = try dataset.split(split)
        return try (0..<table.rowCount).map { row in
            try columns.map { name in
                let column = try table.requireColumn(name, reason: "test")
                switch column.values {
                case .ids(let ids): return Double(ids[row])
                case .floats(let values): return Double(values[row])
                case .integers(let values): return Double(values[row])
                default: return .nan
                }
            }
        }
    }
}
