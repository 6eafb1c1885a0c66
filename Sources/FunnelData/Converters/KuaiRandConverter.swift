/// Converts the 200-row KuaiRand-1K joined log sample (`kuairand_1k_sample.csv`).
///
/// Chongming Gao et al., *KuaiRand: An Unbiased Sequential Recommendation Dataset with Randomly
/// Exposed Videos*, CIKM 2022.
///
/// Output: one split, `train` (the source has no split), with `user` and `video` (role item),
/// labels `click`, `watch_time` and `duration` (milliseconds), `profile_stay_time` and
/// `comment_stay_time`, the scenario `tab`, and the user and video features the sample's
/// join carried. Watch-time models take `duration` as a label-side input (duration bias), so
/// it is a label, not a feature.
struct KuaiRandConverter {
    let source: String

    static let file = "kuairand_1k_sample.csv"

    static var mappings: [ColumnMapping] {
        let built = Vocabulary.built(minimumCount: 1)
        func categorical(_ source: String, _ name: String, _ vocabulary: Vocabulary = built)
            -> ColumnMapping
        {
            ColumnMapping(
                source, ColumnSchema(name: name, kind: .categorical, vocabulary: vocabulary))
        }
        return [
            ColumnMapping(
                "user_id",
                ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: built)),
            ColumnMapping(
                "video_id",
                ColumnSchema(name: "video", kind: .categorical, role: .item, vocabulary: built)),
            .label("is_click", as: "click"),
            .label("play_time_ms", as: "watch_time"),
            .label("duration_ms", as: "duration"),
            .label("profile_stay_time", as: "profile_stay_time"),
            .label("comment_stay_time", as: "comment_stay_time"),
            categorical("tab", "tab", .identity(size: 15)),
            categorical("user_active_degree", "user_active_degree", .identity(size: 8)),
            categorical("is_lowactive_period", "is_low_active_period"),
            categorical("is_live_streamer", "is_live_streamer"),
            categorical("is_video_author", "is_video_author"),
            .dense("follow_user_num", as: "follow_count"),
            categorical("follow_user_num_range", "follow_count_range"),
            .dense("fans_user_num", as: "fan_count"),
            categorical("fans_user_num_range", "fan_count_range"),
            .dense("friend_user_num", as: "friend_count"),
            categorical("friend_user_num_range", "friend_count_range"),
            .dense("register_days", as: "register_days"),
            categorical("register_days_range", "register_days_range"),
        ] + (0..<18).map { categorical("onehot_feat\($0)", "user_feature_\($0)") } + [
            categorical("video_type", "video_type", .identity(size: 3)),
            categorical("visible_status", "visible_status"),
            .dense("server_width", as: "video_width"),
            .dense("server_height", as: "video_height"),
        ]
    }

    func convert(into output: inout ConversionOutput) throws {
        var transcoder = TableTranscoder(Self.mappings)
        let table = try SourceTable(path: output.sourcePath(Self.file))
        let writer = try transcoder.transcode(table, name: "train") { row, positions in
            if !row.equals(positions[2], "0") && !row.equals(positions[2], "1") {
                throw row.failure(positions[2], expected: "0 or 1")
            }
            for position in positions[3..<7] {
                if try row.double(position) < 0 {
                    throw row.failure(position, expected: "a time of 0 or more")
                }
            }
        }
        try output.addSplit(writer)
        output.name = "kuairand-1k-sample"
        output.columns = transcoder.columns
        let renames = Self.mappings.filter { $0.source != $0.column.name }.map {
            "\($0.source)→\($0.column.name)"
        }
        output.notes =
            KuaiRandVideoConverter.citation + " " + """
                Source: GitHub Xiaopengli1/Scenario-Wise-Rec (MIT, commit 167ea862) \
                scripts/data/kuairand/kuairand_sample.csv, byte-for-byte (renamed) in shared/data/kuairand-sample: \
                the first 200 rows of its inner join of the KuaiRand-1K log log_standard_4_22_to_5_08_1k.csv with \
                user_features_1k.csv and video_features_basic_1k.csv (that script dropped date, hourmin, time_ms, \
                is_like, is_follow, is_comment, is_forward, is_hate, long_view, is_profile_enter and is_rand). \
                Fixture only: 200 rows, one tab, clustered by video. \
                Changes: a single split train (the source has none), rows in file order. Renamed: \
                \(renames.joined(separator: ", ")). Labels: click (0/1; a valid play in the single-column UI), \
                watch_time and duration in milliseconds (duration is a label so that it is never a model input by \
                accident; duration-debiasing methods read it from there), profile_stay_time (the author-profile \
                visit signal, 0 = no visit) and comment_stay_time (units not stated officially; 0 = none). \
                tab (0-14), user_active_degree (0-7) and video_type (0-2) have identity vocabularies; the user \
                flags (whose value -124 is probably a missing-value sentinel, kept as its own category), the \
                range buckets, the anonymised onehot_feat0..17 and visible_status have built vocabularies; the \
                counts and the video's width and height are dense. The user and video features stay on every row, \
                as joined upstream. video ids are KuaiRand-1K ids and do not join the KuaiRand-Pure video table \
                (see the kuairand-videos conversion).
                """
    }
}
