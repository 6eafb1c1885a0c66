/// Reading KuaiRand-shaped CSV logs (watchtime.md §0.1).
extension WatchTimeLog {
    /// The columns every log must have.
    public static let requiredLogColumns = ["user_id", "video_id", "play_time_ms", "duration_ms"]

    /// Reads one or more logs (each with a header naming at least `user_id, video_id,
    /// play_time_ms, duration_ms`, and `date` as YYYYMMDD when `requireDates`), joining the
    /// features of a users table (keyed by `user_id`) and a videos table (keyed by `video_id`,
    /// with the derived `tag_pop`).
    ///
    /// Feature columns come from the logs first (a column every log has), then the users, then
    /// the videos table; a view whose key a table lacks gets ``missingToken`` in that table's
    /// features and is counted in ``unmatchedKeys``.
    ///
    /// Refusals, each a ``DataError`` located at `file:line:column`: a required column missing
    /// (line 1, listing the header), a user or video key that is not an integer, a play time or
    /// a duration that is not a non-negative finite number, a date that is not a calendar date
    /// YYYYMMDD, a row with another number of fields than the header; and
    /// ``WatchTimePreparation/Refusal/unknownFeature(_:available:)`` for a feature no input has.
    /// - Parameter unitIsMilliseconds: the unit of `play_time_ms` and `duration_ms` (KuaiRand's
    ///   milliseconds, or seconds), for messages and the preparation's conversion.
    public static func read(
        logs: [String], users: String? = nil, videos: String? = nil, features: [String]? = nil,
        includeFeedbackFlags: Bool = false, requireDates: Bool = true, unitIsMilliseconds: Bool = true
    ) throws -> WatchTimeLog {
        guard !logs.isEmpty else { throw WatchTimePreparation.Refusal.invalidOption("no log file was given (--log)") }
        let tables = try logs.map { try SourceTable(path: $0) }
        let required = requiredLogColumns + (requireDates ? ["date"] : [])
        let purposes = [
            "user_id": "the user key", "video_id": "the video key", "play_time_ms": "the play time",
            "duration_ms": "the video's duration",
            "date": "the view's date YYYYMMDD, for the date splits; --no-dates puts every view in train",
        ]
        var positions: [[Int]] = []
        for table in tables {
            positions.append(try required.map { try requiredColumn(table, $0, purpose: purposes[$0]!) })
        }
        let userTable = try users.map { try WatchTimeSideTable(path: $0, keyColumn: "user_id", option: "--users") }
        let videoTable = try videos.map { try WatchTimeSideTable(path: $0, keyColumn: "video_id", option: "--videos") }
        let logColumns = tables[0].header.filter { name in tables.allSatisfy { $0.header.contains(name) } }
        var available = logColumns
        for column in (userTable?.columns ?? []) + (videoTable?.columns ?? []) where !available.contains(column) {
            available.append(column)
        }
        let chosen = try chosenFeatures(requested: features, includeFeedbackFlags: includeFeedbackFlags, available: available)
        let featureNames = chosen.filter { $0 != "user_id" && $0 != "video_id" }
        let fromLog = featureNames.filter { logColumns.contains($0) }
        let fromUsers = featureNames.filter { !fromLog.contains($0) && userTable?.columns.contains($0) == true }
        let fromVideos = featureNames.filter {
            !fromLog.contains($0) && !fromUsers.contains($0) && videoTable?.columns.contains($0) == true
        }
        let userRows = try userTable?.tokens(of: fromUsers) ?? [:]
        let videoRows = try videoTable?.tokens(of: fromVideos) ?? [:]

        var log = WatchTimeLog(source: logs.joined(separator: ", "), sourceUnitIsMilliseconds: unitIsMilliseconds)
        log.chosenFeatures = chosen
        if requireDates { log.days = [] }
        var logTokens = Array(repeating: [UInt64](), count: fromLog.count)
        var userTokens = Array(repeating: [UInt64](), count: fromUsers.count)
        var videoTokens = Array(repeating: [UInt64](), count: fromVideos.count)
        var unmatchedUsers = 0
        var unmatchedVideos = 0
        let unit = unitIsMilliseconds ? "milliseconds" : "seconds"
        for (table, position) in zip(tables, positions) {
            let featurePositions = fromLog.map { table.header.firstIndex(of: $0)! }
            try table.forEachRow { row in
                log.userKeys.append(try integerKey(row, position[0], "user"))
                let video = try integerKey(row, position[1], "video")
                log.videoKeys.append(video)
                log.playTimes.append(try time(row, position[2], expected: "a non-negative number of \(unit) (the play time)"))
                log.durations.append(try time(row, position[3], expected: "a non-negative number of \(unit) (the duration)"))
                if requireDates { log.days!.append(try date(row, position[4])) }
                for (index, field) in featurePositions.enumerated() {
                    let range = row.range(field)
                    logTokens[index].append(FieldParsing.hash(row.base, range.lowerBound, range.upperBound))
                }
                if userTable != nil {
                    let tokens = userRows[log.userKeys[log.userKeys.count - 1]]
                    if tokens == nil { unmatchedUsers += 1 }
                    for index in userTokens.indices { userTokens[index].append(tokens?[index] ?? missingToken) }
                }
                if videoTable != nil {
                    let tokens = videoRows[video]
                    if tokens == nil { unmatchedVideos += 1 }
                    for index in videoTokens.indices { videoTokens[index].append(tokens?[index] ?? missingToken) }
                }
            }
        }
        if let userTable { log.unmatchedKeys[userTable.path] = unmatchedUsers }
        if let videoTable { log.unmatchedKeys[videoTable.path] = unmatchedVideos }
        var byName: [String: [UInt64]] = [:]
        for (name, tokens) in zip(fromLog + fromUsers + fromVideos, logTokens + userTokens + videoTokens) {
            byName[name] = tokens
        }
        log.features = featureNames.map { Feature(name: $0, tokens: byName[$0]!) }
        return log
    }

    /// The position of a column the header must have, or a ``DataError`` at line 1 that lists
    /// the header's columns.
    static func requiredColumn(_ table: SourceTable, _ name: String, purpose: String) throws -> Int {
        guard let index = table.header.firstIndex(of: name) else {
            throw DataError.badValue(
                FileLocation(file: table.path, line: 1), found: table.header.joined(separator: ","),
                expected: "a column named '\(name)' (\(purpose)); the header's columns are: "
                    + table.header.map { "'\($0.truncatedForMessage(40))'" }.joined(separator: ", "))
        }
        return index
    }

    private static func integerKey(_ row: SourceRow, _ index: Int, _ what: String) throws -> Int64 {
        let range = row.range(index)
        guard let value = FieldParsing.integer(row.base, range.lowerBound, range.upperBound) else {
            throw row.failure(index, expected: "an integer \(what) key")
        }
        return value
    }

    private static func time(_ row: SourceRow, _ index: Int, expected: String) throws -> Double {
        let range = row.range(index)
        guard let value = FieldParsing.double(row.base, range.lowerBound, range.upperBound), value.isFinite, value >= 0
        else {
            throw row.failure(index, expected: expected)
        }
        return value
    }

    /// A calendar date written YYYYMMDD (KuaiRand's `date`), as that integer.
    private static func date(_ row: SourceRow, _ index: Int) throws -> Int64 {
        let range = row.range(index)
        func failure() -> DataError { row.failure(index, expected: "a date written YYYYMMDD (for example 20220408)") }
        guard range.count == 8, range.allSatisfy({ row.base[$0] &- 0x30 < 10 }),
            let value = FieldParsing.integer(row.base, range.lowerBound, range.upperBound)
        else { throw failure() }
        let (year, month, day) = (value / 10_000, value / 100 % 100, value % 100)
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...lengths[Int(month) - 1]).contains(day) else { throw failure() }
        return value
    }
}
