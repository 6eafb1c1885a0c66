/// A watch-time dataset prepared as D2Co's and CWM's preprocessing does it (watchtime.md §0.1)
/// with both ground-truth relevance labels of §0.2, ready to be written
/// (``write(to:name:)``).
///
/// Steps, in order:
/// 1. `w_trunc = min(play_time, duration)` in the source's unit;
/// 2. `w_trunc`, `play_time` and `duration` converted to seconds (÷ 1000 for milliseconds) and
///    rounded to integer seconds **half to even**, as pandas' `.round()` (numpy's `around`)
///    in the reference preprocessing: 2.5 s → 2, 3.5 s → 4;
/// 3. the duration filter `lower ≤ d ≤ upper` on the rounded duration (D2Co 5–240 s, CWM
///    5–400 s);
/// 4. the split: by date ranges (inclusive; a view outside every range is dropped, the first
///    matching range wins), the dataset's own splits, or everything in `train`;
/// 5. a split without views is refused by name;
/// 6. the labels `long_view` (``RelevanceRule/fixedThreshold(_:)``) and `long_view_quantile`
///    (``RelevanceRule/quantile(_:)``, θ over every kept view of every split);
/// 7. `user`, `video` and every feature re-indexed to ids 0..<n in order of first appearance
///    over the kept views (splits in order, views in input order).
public struct WatchTimePreparation: Sendable {
    /// Why a preparation is refused (the located errors of reading are ``DataError``s).
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// A split has no views after the filters; `range` describes its dates or days.
        case emptySplit(String, range: String?)
        /// A feature none of the inputs has.
        case unknownFeature(String, available: [String])
        /// An option that cannot be honoured.
        case invalidOption(String)

        public var description: String {
            switch self {
            case .emptySplit(let name, let range):
                return "split '\(name)' has no exposures" + (range.map { " (\($0))" } ?? "")
                    + " after filtering; nothing was written"
            case .unknownFeature(let name, let available):
                return "no input has the feature '\(name)'; available: \(available.joined(separator: ", "))"
            case .invalidOption(let reason):
                return reason
            }
        }
    }

    /// How views are assigned to splits.
    public enum SplitPlan: Sendable, Equatable {
        /// Inclusive ranges of dates (YYYYMMDD) or day numbers, by split name, in order.
        case byDate([NamedRange])
        /// The dataset input's own splits.
        case kept
        /// Every view in one split `train` (a log without dates).
        case single

        /// The KuaiRand-Pure date split (watchtime.md §0.1).
        public static let kuaiRand = SplitPlan.byDate([
            NamedRange(name: "train", range: 20_220_408...20_220_421),
            NamedRange(name: "validation", range: 20_220_422...20_220_428),
            NamedRange(name: "test", range: 20_220_429...20_220_508),
        ])
    }

    /// A split's inclusive range of dates or days.
    public struct NamedRange: Sendable, Equatable {
        public var name: String
        public var range: ClosedRange<Int64>

        public init(name: String, range: ClosedRange<Int64>) {
            self.name = name
            self.range = range
        }
    }

    /// What to do; the defaults are D2Co's (duration 5–240 s, θ = 18 s) and CWM's (0.7-quantile).
    public struct Options: Sendable, Equatable {
        /// Whether the log's times are milliseconds (KuaiRand) or seconds.
        public var unitIsMilliseconds: Bool
        /// The kept durations, in integer seconds, inclusive.
        public var durationRange: ClosedRange<Int64> = 5...240
        public var splits: SplitPlan
        /// θ of `long_view`, seconds.
        public var relevanceThreshold: Float = 18
        /// The quantile level of θ of `long_view_quantile`.
        public var relevanceQuantile: Double = 0.7

        public init(unitIsMilliseconds: Bool, splits: SplitPlan) {
            self.unitIsMilliseconds = unitIsMilliseconds
            self.splits = splits
        }
    }

    /// One output split: the views it keeps (indices into the log) and, where dates split, its range.
    public struct Split: Sendable {
        public var name: String
        public var range: ClosedRange<Int64>?
        public var views: [Int]
    }

    public let log: WatchTimeLog
    public let options: Options
    public let splits: [Split]
    /// Per view of the log, in integer seconds (meaningful for kept views).
    public let truncatedWatchTimes: [Int64]
    public let playTimes: [Int64]
    public let durations: [Int64]
    /// `long_view` and `long_view_quantile` per view of the log (0 for dropped views).
    public let fixedLabels: [Float]
    public let quantileLabels: [Float]
    /// θ of `long_view` and of `long_view_quantile`, seconds.
    public let fixedThreshold: Double
    public let quantileThreshold: Double
    /// The re-indexed ids per view of the log (−1 for dropped views): user, video, features.
    public let userIDs: [Int32]
    public let videoIDs: [Int32]
    public let featureIDs: [[Int32]]
    /// The number of ids of `user`, `video` and each feature.
    public let userCount: Int
    public let videoCount: Int
    public let featureCounts: [Int]
    public let report: Report

    /// Runs the steps above on `log`.
    /// - Throws: ``Refusal/emptySplit(_:range:)`` naming the split; ``Refusal/invalidOption(_:)``
    ///   for date splits of a log without dates or kept splits of a log without its own.
    public init(log: WatchTimeLog, options: Options) throws {
        self.log = log
        self.options = options
        let divisor = options.unitIsMilliseconds ? 1000.0 : 1.0
        func seconds(_ value: Double) -> Int64 { Int64((value / divisor).rounded(.toNearestOrEven)) }
        let truncatedWatchTimes = zip(log.playTimes, log.durations).map { seconds(Swift.min($0, $1)) }
        let durations = log.durations.map(seconds)
        self.truncatedWatchTimes = truncatedWatchTimes
        self.durations = durations
        let playTimes = log.playTimes.map(seconds)
        self.playTimes = playTimes
        let kept = log.durations.indices.filter { options.durationRange.contains(durations[$0]) }
        var splits: [Split]
        var outside = 0
        switch options.splits {
        case .single:
            splits = [Split(name: "train", range: nil, views: kept)]
        case .kept:
            guard let indices = log.splitIndices else {
                throw Refusal.invalidOption("the input has no splits of its own to keep; give date ranges or --no-dates")
            }
            splits = log.splitNames.map { Split(name: $0, range: nil, views: []) }
            for view in kept { splits[indices[view]].views.append(view) }
        case .byDate(let ranges):
            guard let days = log.days else {
                throw Refusal.invalidOption("the input has no dates (a 'date' or day column) to split by; use --no-dates")
            }
            splits = ranges.map { Split(name: $0.name, range: $0.range, views: []) }
            for view in kept {
                if let index = ranges.firstIndex(where: { $0.range.contains(days[view]) }) {
                    splits[index].views.append(view)
                } else {
                    outside += 1
                }
            }
        }
        let isDate = log.splitIndices == nil  // a log's YYYYMMDD dates, or a dataset's day numbers
        for split in splits where split.views.isEmpty {
            let range = split.range.map { "\(isDate ? "dates" : "days") \($0.lowerBound)-\($0.upperBound)" }
            throw Refusal.emptySplit(split.name, range: range)
        }
        self.splits = splits
        let order = splits.flatMap(\.views)
        let fixed = RelevanceRule.fixedThreshold(options.relevanceThreshold)
        let quantile = RelevanceRule.quantile(options.relevanceQuantile)
        let fixedThreshold = fixed.threshold(truncatedWatchTimes: [])
        let quantileThreshold = quantile.threshold(truncatedWatchTimes: order.map { Double(truncatedWatchTimes[$0]) })
        var fixedLabels = Array(repeating: Float(0), count: log.count)
        var quantileLabels = fixedLabels
        for view in order {
            let (watched, played, duration) = (Double(truncatedWatchTimes[view]), Double(playTimes[view]), Double(durations[view]))
            fixedLabels[view] = fixed.label(truncatedWatchTime: watched, playTime: played, duration: duration, threshold: fixedThreshold)
            quantileLabels[view] = quantile.label(truncatedWatchTime: watched, playTime: played, duration: duration, threshold: quantileThreshold)
        }
        self.fixedLabels = fixedLabels
        self.quantileLabels = quantileLabels
        self.fixedThreshold = fixedThreshold
        self.quantileThreshold = quantileThreshold
        func reindex(_ tokens: [UInt64]) -> (ids: [Int32], count: Int) {
            var ids = Array(repeating: Int32(-1), count: tokens.count)
            var vocabulary: [UInt64: Int32] = [:]
            for view in order {
                let next = Int32(vocabulary.count)
                ids[view] = vocabulary[tokens[view], default: next]
                if ids[view] == next { vocabulary[tokens[view]] = next }
            }
            return (ids, vocabulary.count)
        }
        let users = reindex(log.userKeys.map { UInt64(bitPattern: $0) })
        let videos = reindex(log.videoKeys.map { UInt64(bitPattern: $0) })
        (userIDs, userCount, videoIDs, videoCount) = (users.ids, users.count, videos.ids, videos.count)
        let features = log.features.map { reindex($0.tokens) }
        featureIDs = features.map(\.ids)
        featureCounts = features.map(\.count)
        let completes = order.filter { truncatedWatchTimes[$0] >= durations[$0] }.count
        report = Report(
            source: log.source, rowsRead: log.count, droppedByDuration: log.count - kept.count,
            droppedOutsideSplits: outside, durationRange: options.durationRange,
            splitRows: splits.map { ($0.name, $0.views.count) },
            completePlayShare: order.isEmpty ? 0 : Double(completes) / Double(order.count),
            fixedThreshold: fixedThreshold, quantileThreshold: quantileThreshold, quantileLevel: options.relevanceQuantile,
            users: users.count, videos: videos.count, unmatchedKeys: log.unmatchedKeys)
    }
}
