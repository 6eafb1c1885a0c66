/// Reading an existing Funnel dataset as watch-time views (watchtime.md §0.1), such as the
/// world `funnel simulate watchtime` writes.
extension WatchTimeLog {
    /// The views of every split of `dataset` (train, validation, test first, then the others
    /// by name), with its own split of each view.
    ///
    /// It needs the role-`user` and role-`item` columns, the labels `watch_time` and
    /// `duration` (seconds), and uses `play_time` as the untruncated play time when there is
    /// one (the simulated world has none: its `watch_time` is then the play time too). The day
    /// comes from the role-`day` timestamp column where there is one. The features are the
    /// dataset's own categorical ones: the split's role-`feature` columns and every categorical
    /// column of its side tables joined per view (named as in the side table; a view without a
    /// side-table row gets ``missingToken``); `features` picks some of them by name. Truth
    /// columns (role `truth`) are carried unchanged.
    /// - Throws: ``DataError/missingRequirement(dataset:column:reason:)`` for a missing
    ///   column, ``WatchTimePreparation/Refusal/unknownFeature(_:available:)``.
    public static func read(dataset: Dataset, features: [String]? = nil) throws -> WatchTimeLog {
        let schema = dataset.schema
        let order = ["train", "validation", "test"]
        let names = order.filter { dataset.splits[$0] != nil } + dataset.splits.keys.filter { !order.contains($0) }.sorted()
        func required(_ found: ColumnSchema?, _ name: String, _ reason: String) throws -> String {
            guard let found else {
                throw DataError.missingRequirement(dataset: schema.name, column: name, reason: reason)
            }
            return found.name
        }
        let userColumn = try required(schema.columns.first { $0.role == .user && $0.kind == .categorical }, "user", "the user (role user)")
        let videoColumn = try required(schema.columns.first { $0.role == .item && $0.kind == .categorical }, "video", "the video (role item)")
        let watchTime = try required(schema.columns.first { $0.name == "watch_time" && $0.kind == .label }, "watch_time", "the watch time label (seconds)")
        let duration = try required(schema.columns.first { $0.name == "duration" && $0.kind == .label }, "duration", "the duration label (seconds)")
        let playTime = schema.columns.first { $0.name == "play_time" && $0.kind == .label }?.name ?? watchTime
        let dayColumn = schema.columns.first { $0.role == .day && $0.kind == .timestamp }?.name
        let rowFeatures = schema.columns.filter { $0.role == .feature && $0.kind == .categorical }.map(\.name)
        var sideFeatures: [(side: String, column: String)] = []
        for side in schema.sideTables {
            for column in side.columns where column.kind == .categorical && !side.key.contains(column.name) {
                sideFeatures.append((side.name, column.name))
            }
        }
        let available = rowFeatures + sideFeatures.map(\.column).filter { !rowFeatures.contains($0) }
        if let features {
            for name in features where !available.contains(name) {
                throw WatchTimePreparation.Refusal.unknownFeature(name, available: available)
            }
        }
        let chosen = features ?? available
        let truthColumns = schema.columns.filter { $0.role == .truth && $0.kind == .dense }

        var log = WatchTimeLog(source: dataset.directory, sourceUnitIsMilliseconds: false)
        log.chosenFeatures = chosen
        log.splitNames = names
        log.splitIndices = []
        if dayColumn != nil { log.days = [] }
        var tokens = Array(repeating: [UInt64](), count: chosen.count)
        var truths = Array(repeating: [Float](), count: truthColumns.count)
        for (splitIndex, name) in names.enumerated() {
            let table = try dataset.split(name)
            func floats(_ column: String) throws -> ColumnBuffer<Float> {
                guard let values = table.column(column)?.values.floats else {
                    throw DataError.missingRequirement(dataset: schema.name, column: column, reason: "a label or dense column of split '\(name)'")
                }
                return values
            }
            func keys(_ column: String) throws -> [Int64] {
                guard let found = table.column(column) else {
                    throw DataError.missingRequirement(dataset: schema.name, column: column, reason: "a column of split '\(name)'")
                }
                if let keys = found.keys { return keys.array }
                guard let ids = found.values.ids else {
                    throw DataError.missingRequirement(dataset: schema.name, column: column, reason: "a categorical column")
                }
                return ids.array.map(Int64.init)
            }
            log.userKeys += try keys(userColumn)
            log.videoKeys += try keys(videoColumn)
            log.playTimes += try floats(playTime).array.map(Double.init)
            log.durations += try floats(duration).array.map(Double.init)
            log.splitIndices! += Array(repeating: splitIndex, count: table.rowCount)
            if let dayColumn {
                guard let days = table.column(dayColumn)?.values.integers else {
                    throw DataError.missingRequirement(dataset: schema.name, column: dayColumn, reason: "the day of split '\(name)'")
                }
                log.days! += days.array
            }
            for (index, feature) in chosen.enumerated() {
                tokens[index] += try featureTokens(feature, table: table, dataset: dataset, sideFeatures: sideFeatures)
            }
            for (index, truth) in truthColumns.enumerated() { truths[index] += try floats(truth.name).array }
        }
        log.features = zip(chosen, tokens).map { Feature(name: $0, tokens: $1) }
        log.truths = zip(truthColumns, truths).map { Truth(schema: $0, values: $1) }
        return log
    }

    /// The tokens (ids) of a row feature or of a side-table feature joined onto `table`.
    private static func featureTokens(
        _ name: String, table: Table, dataset: Dataset, sideFeatures: [(side: String, column: String)]
    ) throws -> [UInt64] {
        if let ids = table.column(name)?.values.ids {
            return ids.array.map { UInt64(UInt32(bitPattern: $0)) }
        }
        guard let side = sideFeatures.first(where: { $0.column == name })?.side,
            let join = table.joins[side], let ids = dataset.sideTables[side]?.column(name)?.values.ids
        else {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: name, reason: "a categorical feature of split '\(table.name)'")
        }
        return (0..<table.rowCount).map { row in
            let sideRow = Int(join[row])
            return sideRow >= 0 ? UInt64(UInt32(bitPattern: ids[sideRow])) : missingToken
        }
    }
}
