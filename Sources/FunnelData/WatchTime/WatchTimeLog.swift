/// The views a watch-time dataset is prepared from (watchtime.md §0.1), one entry per view in
/// input order, before any conversion or filter: what ``WatchTimePreparation`` reads.
///
/// It comes from a KuaiRand-shaped CSV log (``read(logs:users:videos:features:includeFeedbackFlags:requireDates:unitIsMilliseconds:)``)
/// or from an existing Funnel dataset such as the simulated `watchtime` world
/// (``read(dataset:features:)``). Times are in the unit of the source (milliseconds for
/// KuaiRand logs, seconds for datasets); categorical features are kept as 64-bit tokens (the
/// integer value for integer fields and dataset ids, otherwise the hash of the field's bytes)
/// and re-indexed only once the rows to keep are known.
public struct WatchTimeLog: Sendable {
    /// One categorical input column, as tokens per view.
    public struct Feature: Sendable, Equatable {
        /// The output column's name.
        public var name: String
        /// One token per view; ``WatchTimeLog/missingToken`` where a side table had no row.
        public var tokens: [UInt64]

        public init(name: String, tokens: [UInt64]) {
            self.name = name
            self.tokens = tokens
        }
    }

    /// A ground-truth column of a dataset input, carried through unchanged.
    public struct Truth: Sendable {
        public var schema: ColumnSchema
        public var values: [Float]

        public init(schema: ColumnSchema, values: [Float]) {
            self.schema = schema
            self.values = values
        }
    }

    /// The token of a feature whose side table has no row for the view's key: a category of its
    /// own.
    public static let missingToken = UInt64.max

    /// The post-view feedback flags of KuaiRand (watchtime.md §0.1): observed after the view,
    /// they leak interest, so they are inputs only on request.
    public static let feedbackFlags = ["is_like", "is_follow", "is_comment", "is_forward", "is_profile_enter", "is_hate"]

    /// CWM's categorical input fields (watchtime.md §0.1); `user_id` and `video_id` are the
    /// output's `user` and `video` columns.
    public static let cwmFeatures = [
        "user_id", "follow_user_num_range", "register_days_range", "fans_user_num_range", "friend_user_num_range",
        "user_active_degree", "video_id", "author_id", "music_id", "tag_pop", "video_type", "upload_type", "tab",
    ]

    /// Where the views came from (file names or the dataset folder), for notes and reports.
    public var source: String
    /// Whether the times are in milliseconds (KuaiRand logs) rather than seconds.
    public var sourceUnitIsMilliseconds: Bool
    /// The raw user key of every view.
    public var userKeys: [Int64] = []
    /// The raw video key of every view.
    public var videoKeys: [Int64] = []
    /// The untruncated play time of every view, in the source's unit.
    public var playTimes: [Double] = []
    /// The duration of every view, in the source's unit.
    public var durations: [Double] = []
    /// The date of every view (YYYYMMDD for logs, the day number for datasets), or `nil` when
    /// the source has none or dates were not asked for.
    public var days: [Int64]?
    /// For a dataset input, the split every view came from (an index into ``splitNames``).
    public var splitIndices: [Int]?
    /// The dataset input's split names, in the order of ``splitIndices``.
    public var splitNames: [String] = []
    /// The categorical features besides `user` and `video`, in output order.
    public var features: [Feature] = []
    /// The input features as chosen (`user_id` and `video_id` included where chosen: they are
    /// the `user` and `video` columns), for the notes.
    public var chosenFeatures: [String] = []
    /// The truth columns of a dataset input.
    public var truths: [Truth] = []
    /// Views whose key had no row in the users or videos table, per table file.
    public var unmatchedKeys: [String: Int] = [:]

    /// An empty log of `source`.
    public init(source: String, sourceUnitIsMilliseconds: Bool) {
        self.source = source
        self.sourceUnitIsMilliseconds = sourceUnitIsMilliseconds
    }

    /// The number of views.
    public var count: Int { userKeys.count }

    /// The features an input offers by default: CWM's list where the input has them, plus the
    /// feedback flags it has when `includeFeedbackFlags`; or exactly `requested` (each of which
    /// must be available, the flags added when asked for). Duration is never a feature.
    /// - Throws: ``WatchTimePreparation/Refusal/unknownFeature(_:available:)``.
    static func chosenFeatures(requested: [String]?, includeFeedbackFlags: Bool, available: [String]) throws -> [String] {
        var chosen: [String]
        if let requested {
            for name in requested where !available.contains(name) {
                throw WatchTimePreparation.Refusal.unknownFeature(name, available: available)
            }
            chosen = requested
        } else {
            chosen = cwmFeatures.filter { available.contains($0) }
        }
        if includeFeedbackFlags {
            chosen += feedbackFlags.filter { available.contains($0) && !chosen.contains($0) }
        }
        for name in chosen where ["duration", "duration_ms", "video_duration"].contains(name) {
            throw WatchTimePreparation.Refusal.invalidOption("duration is never an input feature (watchtime.md §0.1); '\(name)' was asked for")
        }
        var seen = Set<String>()
        return chosen.filter { seen.insert($0).inserted }
    }
}
