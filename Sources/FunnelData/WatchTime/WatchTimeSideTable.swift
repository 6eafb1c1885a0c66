import Foundation

/// A keyed feature table of a KuaiRand-shaped log (`user_features_pure.csv` keyed by
/// `user_id`, `video_features_basic_pure.csv` keyed by `video_id`), joined onto the views by
/// ``WatchTimeLog`` (watchtime.md §0.1).
///
/// A videos table with a `tag` column (comma-separated tag ids, quoted when several) also
/// offers `tag_pop`: the video's tag that is most frequent over all videos of the table, ties
/// going to the smaller id (CWM's "most frequent tag"); a video without tags gets
/// ``WatchTimeLog/missingToken``.
struct WatchTimeSideTable {
    /// The derived column of the most frequent tag.
    static let popularTag = "tag_pop"

    let table: SourceTable
    let keyColumn: String
    private let keyIndex: Int

    /// Opens `path`; its header must name `keyColumn` (refused at line 1 otherwise).
    init(path: String, keyColumn: String, option: String) throws {
        table = try SourceTable(path: path)
        self.keyColumn = keyColumn
        keyIndex = try WatchTimeLog.requiredColumn(table, keyColumn, purpose: "the key of the \(option) table")
    }

    var path: String { table.path }

    /// The columns it offers as features: every column but the key, and `tag_pop` when it has
    /// a `tag` column.
    var columns: [String] {
        table.header.filter { $0 != keyColumn } + (table.header.contains("tag") ? [Self.popularTag] : [])
    }

    /// The tokens of `columns` (names among ``columns``) for every key. A key given twice keeps
    /// its first row.
    func tokens(of columns: [String]) throws -> [Int64: [UInt64]] {
        let positions = columns.map { table.header.firstIndex(of: $0) }
        let tagIndex = columns.contains(Self.popularTag) ? table.header.firstIndex(of: "tag") : nil
        var rows: [Int64: [UInt64]] = [:]
        var tags: [Int64: [Int64]] = [:]
        var frequency: [Int64: Int] = [:]
        let keyIndex = keyIndex
        let keyColumn = keyColumn
        try table.forEachRow { row in
            let range = row.range(keyIndex)
            guard let key = FieldParsing.integer(row.base, range.lowerBound, range.upperBound) else {
                throw row.failure(keyIndex, expected: "an integer key (\(keyColumn))")
            }
            guard rows[key] == nil else { return }
            rows[key] = positions.map { position in
                guard let position else { return WatchTimeLog.missingToken }
                let range = row.range(position)
                return FieldParsing.hash(row.base, range.lowerBound, range.upperBound)
            }
            if let tagIndex {
                let ids = try Self.tagIDs(row, tagIndex)
                tags[key] = ids
                for id in Set(ids) { frequency[id, default: 0] += 1 }
            }
        }
        if let popular = columns.firstIndex(of: Self.popularTag) {
            for (key, ids) in tags {
                let best = ids.min { left, right in
                    let (leftCount, rightCount) = (frequency[left] ?? 0, frequency[right] ?? 0)
                    return leftCount != rightCount ? leftCount > rightCount : left < right
                }
                rows[key]?[popular] = best.map(Self.token(ofTag:)) ?? WatchTimeLog.missingToken
            }
        }
        return rows
    }

    /// The token of a tag id (the hash of its decimal text, as a field holding it would give).
    static func token(ofTag id: Int64) -> UInt64 {
        var text = String(id)
        return text.withUTF8 { bytes in FieldParsing.hash(bytes.baseAddress!, 0, bytes.count) }
    }

    /// The tag ids of a `tag` field: integers separated by commas (spaces allowed); empty → none.
    private static func tagIDs(_ row: SourceRow, _ index: Int) throws -> [Int64] {
        let text = row.text(index)
        guard !text.isEmpty else { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let id = Int64(trimmed) else {
                throw row.failure(index, expected: "comma-separated integer tag ids")
            }
            return id
        }
    }
}
