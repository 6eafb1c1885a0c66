import Foundation

extension WatchTimePreparation {
    /// The names of the columns written (watchtime.md §0.1–0.2).
    public enum ColumnName {
        public static let user = "user"
        public static let video = "video"
        public static let day = "day"
        /// `w_trunc = min(play_time, duration)`, integer seconds.
        public static let watchTime = "watch_time"
        /// The untruncated play time, integer seconds.
        public static let playTime = "play_time"
        public static let duration = "duration"
        /// D2Co's relevance (fixed θ).
        public static let longView = "long_view"
        /// CWM's relevance (θ a quantile of `w_trunc`).
        public static let longViewQuantile = "long_view_quantile"
    }

    /// Whether the output has a `day` column: the input has dates and they were not set aside
    /// by `--no-dates`.
    var writesDay: Bool { log.days != nil && options.splits != .single }

    /// The columns of every split: `user` (role user), `video` (role item), the features, `day`
    /// (role day) where dates exist, the labels, then the carried truth columns. Categorical
    /// columns have identity vocabularies of their re-indexed ids 0..<n.
    public var columns: [ColumnSchema] {
        var columns = [
            ColumnSchema(name: ColumnName.user, kind: .categorical, role: .user, vocabulary: .identity(size: Swift.max(userCount, 1))),
            ColumnSchema(name: ColumnName.video, kind: .categorical, role: .item, vocabulary: .identity(size: Swift.max(videoCount, 1))),
        ]
        for (feature, count) in zip(log.features, featureCounts) {
            columns.append(ColumnSchema(name: feature.name, kind: .categorical, vocabulary: .identity(size: Swift.max(count, 1))))
        }
        if writesDay { columns.append(ColumnSchema(name: ColumnName.day, kind: .timestamp, role: .day)) }
        for label in [ColumnName.watchTime, ColumnName.playTime, ColumnName.duration, ColumnName.longView, ColumnName.longViewQuantile] {
            columns.append(ColumnSchema(name: label, kind: .label))
        }
        return columns + log.truths.map(\.schema)
    }

    /// Writes the dataset folder (`<split>.csv` per split and `schema.json` last, staged beside
    /// `directory` and moved in once complete, as `funnel data sequences` and the converters
    /// do), then compiles its binary cache and returns the dataset. Nothing is written when the
    /// schema is invalid.
    @discardableResult
    public func write(to directory: String, name: String = "watchtime") throws -> Dataset {
        let columns = columns
        let schema = DatasetSchema(
            name: name, tables: Dictionary(uniqueKeysWithValues: splits.map { ($0.name, TableFile(file: $0.name + ".csv")) }),
            columns: columns, vocabularySplit: splits.first { $0.name == "train" }?.name ?? splits[0].name, notes: notes)
        try schema.validate(path: directory + "/schema.json")
        try DatasetConverter.staged(output: directory) { staging in
            for split in splits {
                var writer = CanonicalTableWriter(name: split.name, columns: columns)
                for view in split.views {
                    writer.append(Int64(userIDs[view]))
                    writer.append(Int64(videoIDs[view]))
                    for ids in featureIDs { writer.append(Int64(ids[view])) }
                    if writesDay, let days = log.days { writer.append(days[view]) }
                    writer.append(truncatedWatchTimes[view])
                    writer.append(playTimes[view])
                    writer.append(durations[view])
                    writer.append(Int64(fixedLabels[view]))
                    writer.append(Int64(quantileLabels[view]))
                    for truth in log.truths { writer.append(Double(truth.values[view])) }
                    writer.endRow()
                }
                try writer.write(to: staging + "/" + writer.file)
            }
            try schema.write(directory: staging)
        }
        return try Dataset.compile(directory)
    }

    /// The schema's notes: the source, every step with its parameters, θ values and counts.
    public var notes: String {
        let unit = options.unitIsMilliseconds ? "milliseconds (divided by 1000)" : "seconds"
        let splitRule: String
        switch options.splits {
        case .single: splitRule = "every view in one split train (--no-dates)"
        case .kept: splitRule = "the input dataset's own splits (\(log.splitNames.joined(separator: ", ")))"
        case .byDate(let ranges):
            splitRule = "by \(log.splitIndices == nil ? "date (YYYYMMDD)" : "day"), inclusive: "
                + ranges.map { "\($0.name) \($0.range.lowerBound)-\($0.range.upperBound)" }.joined(separator: ", ")
                + " (a view outside every range is dropped)"
        }
        let mapped = log.chosenFeatures.map { $0 == "user_id" ? "user_id (as user)" : $0 == "video_id" ? "video_id (as video)" : $0 }
        var truths = log.truths.isEmpty ? "" : " Truth columns carried unchanged: \(log.truths.map(\.schema.name).joined(separator: ", "))."
        if log.splitIndices != nil {
            truths += " The input dataset's other labels are not carried (long_view is recomputed here); play_time is its "
                + "play_time label where it has one, else its watch_time."
        }
        return """
            Watch-time dataset prepared by funnel data watch-time (watchtime.md §0.1-0.2, the D2Co and CWM \
            preprocessing) from \(log.source). Input times in \(unit); w_trunc = min(play_time, duration) before \
            conversion; watch_time (= w_trunc), play_time (untruncated) and duration are integer seconds, rounded half \
            to even as pandas' .round() does (2.5 -> 2, 3.5 -> 4). Duration filter: \(options.durationRange.lowerBound) \
            <= duration <= \(options.durationRange.upperBound) s. Split: \(splitRule). Labels: long_view = D2Co's \
            rule with theta = \(Report.seconds(fixedThreshold)) s: 1 if (w_trunc/d >= 1 and d <= theta) or \
            (w_trunc > theta and d > theta); long_view_quantile = CWM's rule with theta = \
            \(Report.seconds(quantileThreshold)) s, the \(options.relevanceQuantile)-quantile of w_trunc over all \
            splits (numpy linear): 1 if (play_time >= d and d <= theta) or (w_trunc > theta and d > theta). \
            Features (categorical, re-indexed to ids 0..n-1 in order of first appearance over the kept views; duration \
            is never a feature): \(mapped.isEmpty ? "none" : mapped.joined(separator: ", ")); a view without a row \
            in a users or videos table takes a 'missing' category of its own.\(truths) \
            Counts: \(report.text.replacingOccurrences(of: "\n", with: "; ")).
            """
    }
}
