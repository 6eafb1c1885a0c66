/// Converts the KuaiRand-Pure video table (`video_features_basic_pure.csv`, 7,583 videos).
///
/// The table is a dataset of its own rather than a side table of the KuaiRand log sample: the
/// sample's video ids are KuaiRand-1K ids, which fall inside 0…7582 as well, so a join by
/// `video` would silently attach the wrong videos' features. Once KuaiRand-Pure logs are
/// converted, this table becomes their `video` side table as it is.
///
/// Output: one split, `videos`, with `video` (role item), `author`, `music`, the type, upload
/// and status categories, `upload_day` (days since 1970-01-01), label `duration` (ms; missing
/// for 239 videos), the width and height, and `tags` as an id list.
struct KuaiRandVideoConverter {
    let source: String

    static let file = "video_features_basic_pure.csv"

    static let columns = [
        ColumnSchema(
            name: "video", kind: .categorical, role: .item, vocabulary: .identity(size: 1)),
        ColumnSchema(name: "author", kind: .categorical, vocabulary: .built(minimumCount: 1)),
        ColumnSchema(name: "video_type", kind: .categorical, vocabulary: .built(minimumCount: 1)),
        ColumnSchema(name: "upload_day", kind: .timestamp, role: .metadata),
        ColumnSchema(name: "upload_type", kind: .categorical, vocabulary: .built(minimumCount: 1)),
        ColumnSchema(
            name: "visible_status", kind: .categorical, vocabulary: .built(minimumCount: 1)),
        ColumnSchema(name: "duration", kind: .label, empty: .missing),
        ColumnSchema(name: "video_width", kind: .dense),
        ColumnSchema(name: "video_height", kind: .dense),
        ColumnSchema(name: "music", kind: .categorical, vocabulary: .built(minimumCount: 1)),
        ColumnSchema(
            name: "music_type", kind: .categorical, vocabulary: .built(minimumCount: 1),
            empty: .missing),
        ColumnSchema(
            name: "tags", kind: .idList, vocabulary: .built(minimumCount: 1), separator: ",",
            empty: .missing),
    ]

    /// The source column of each canonical column.
    static let sources = [
        "video_id", "author_id", "video_type", "upload_dt", "upload_type", "visible_status",
        "video_duration",
        "server_width", "server_height", "music_id", "music_type", "tag",
    ]

    func convert(into output: inout ConversionOutput) throws {
        let table = try SourceTable(path: output.sourcePath(Self.file))
        let positions = try Self.sources.map { try table.column($0) }
        var writer = CanonicalTableWriter(name: "videos", columns: Self.columns)
        var largest: Int64 = -1
        try table.forEachRow { row in
            for (column, position) in zip(Self.columns, positions) {
                switch column.name {
                case "video":
                    largest = Swift.max(largest, try row.identifier(position))
                    writer.append(row, position)
                case "upload_day":
                    writer.append(try UTCTimestamp.day(row, position))
                default:
                    if row.isEmpty(position) {
                        guard column.empty == .missing else {
                            throw row.failure(position, expected: "a value")
                        }
                        writer.appendEmpty()
                        continue
                    }
                    if column.kind == .dense || column.kind == .label {
                        _ = try row.double(position)
                    }
                    writer.append(row, position)
                }
            }
            writer.endRow()
        }
        try output.addSplit(writer)
        var columns = Self.columns
        columns[0].vocabulary = .identity(size: Int(largest) + 1)
        output.name = "kuairand-pure-videos"
        output.columns = columns
        output.vocabularySplit = "videos"
        output.notes = Self.citation + " " + Self.notes
    }

    static let citation = """
        KuaiRand; Chongming Gao, Shijun Li, Yuan Zhang, Jiawei Chen, Biao Li, Wenqiang Lei, Peng Jiang, \
        Xiangnan He, KuaiRand: An Unbiased Sequential Recommendation Dataset with Randomly Exposed Videos, \
        CIKM 2022 (kuairand.com, Zenodo record 10439422). Licence: CC BY-SA 4.0: attribution, and this \
        derived folder must carry the same licence.
        """

    static let notes = """
        Source: GitHub darshan4748q-collab/kuairand_dataset_preprocessed (commit 730365b5) \
        video_features_basic_pure.csv, byte-for-byte in shared/data/kuairand-sample (header matches the \
        official schema, row count the 7,583-video pool; no official per-file checksum). \
        Changes: a dataset of its own with one split, videos, in file order: its ids are KuaiRand-Pure ids, \
        and the KuaiRand-1K log sample's ids fall in the same range but name other videos, so it is not \
        joined to that sample. Renamed: video_id→video (role item, identity vocabulary 0-7582), \
        author_id→author, music_id→music, upload_dt→upload_day (days since 1970-01-01, role metadata), \
        video_duration→duration (label, ms; empty for 239 videos → missing), server_width→video_width, \
        server_height→video_height, tag→tags (id list of the comma-separated tag ids; empty → empty list). \
        video_type, upload_type, visible_status, music_type are categorical with built vocabularies \
        (music_type empty → missing, id 0).
        """
}
