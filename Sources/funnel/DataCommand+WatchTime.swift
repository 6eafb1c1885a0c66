import ArgumentParser
import Foundation
import FunnelData

extension DataCommand {
    /// `funnel data watch-time`: a dataset for watch-time models (docs watchtime.md §0.1–0.2).
    struct WatchTime: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch-time",
            abstract: "Prepare a watch-time dataset (D2Co/CWM preprocessing) from KuaiRand-shaped logs or a dataset folder.",
            discussion: """
                w_trunc = min(play_time, duration); times converted to integer seconds (rounded half to even, as pandas' .round()); durations outside --duration-range dropped; views split by date (logs: YYYYMMDD; datasets: day numbers), by the dataset's own splits, or all in train (--no-dates). Writes the splits (user, video, the categorical features re-indexed to 0..n-1, day, labels watch_time, play_time, duration, long_view (D2Co, theta fixed), long_view_quantile (CWM, theta a quantile of w_trunc), and a dataset's truth columns) and schema.json, then compiles the cache. A refusal writes nothing.

                Examples:
                  funnel data watch-time --log log_standard_4_08_to_4_21_pure.csv --log log_standard_4_22_to_5_08_pure.csv --users user_features_pure.csv --videos video_features_basic_pure.csv --output data/kuairand-watchtime
                  funnel data watch-time --log ../shared/data/kuairand-sample/kuairand_1k_sample.csv --no-dates --output data/kuairand-1k-watchtime
                  funnel data watch-time --dataset data/watchtime --train 0-9 --validation 10-11 --test 12-13 --output data/watchtime-prepared
                """)

        @Option(help: "A KuaiRand-shaped log CSV (repeatable): user_id, video_id, play_time_ms, duration_ms and date (YYYYMMDD).")
        var log: [String] = []

        @Option(help: "The users table (keyed by user_id), joined onto the log.")
        var users: String?

        @Option(help: "The videos table (keyed by video_id; its tag column gives tag_pop), joined onto the log.")
        var videos: String?

        @Option(help: "An existing Funnel dataset folder instead of logs (labels watch_time and duration in seconds).")
        var dataset: String?

        @Option(help: "The output folder.")
        var output: String

        @Option(help: "The output dataset's name (default: the folder's name).")
        var name: String?

        @Option(help: "The unit of the input's times: ms or s (default: ms for logs, s for datasets).")
        var unit: String?

        @Option(help: "The kept durations in integer seconds, inclusive: A-B (D2Co 5-240, CWM 5-400).")
        var durationRange = "5-240"

        @Option(help: "The train dates A-B, inclusive (logs: YYYYMMDD, default 20220408-20220421; datasets: day numbers).")
        var train: String?

        @Option(help: "The validation dates A-B (logs default 20220422-20220428).")
        var validation: String?

        @Option(help: "The test dates A-B (logs default 20220429-20220508).")
        var test: String?

        @Flag(help: "Put every view in one split train (for a log without a date column).")
        var noDates = false

        @Option(help: "The categorical input columns, comma-separated (default: CWM's list where present; a dataset's own features).")
        var features: String?

        @Flag(help: "Add the post-view feedback flags (is_like, is_follow, is_comment, is_forward, is_profile_enter, is_hate) as features, as the D2Co repo does.")
        var includeFeedbackFlags = false

        @Option(help: "theta of long_view (D2Co), seconds.")
        var relevanceThreshold: Float = 18

        @Option(help: "The quantile of w_trunc that is theta of long_view_quantile (CWM).")
        var relevanceQuantile = 0.7

        func validate() throws {
            guard log.isEmpty != (dataset == nil) else {
                throw ValidationError("give either --log (one or more) or --dataset")
            }
            if let unit, unit != "ms" && unit != "s" { throw ValidationError("--unit must be ms or s") }
            _ = try Self.range(durationRange, option: "--duration-range")
            for (option, value) in [("--train", train), ("--validation", validation), ("--test", test)] {
                if let value { _ = try Self.range(value, option: option) }
            }
            if noDates && (train != nil || validation != nil || test != nil) {
                throw ValidationError("--no-dates puts every view in train; it cannot be combined with --train, --validation or --test")
            }
            if dataset != nil, [train, validation, test].contains(where: { $0 != nil }), [train, validation, test].contains(where: { $0 == nil }) {
                throw ValidationError("re-splitting a dataset by day needs all of --train, --validation and --test")
            }
            guard relevanceThreshold >= 0, (0...1).contains(relevanceQuantile) else {
                throw ValidationError("--relevance-threshold must be at least 0 and --relevance-quantile in 0...1")
            }
        }

        /// `A-B` as an inclusive range of integers.
        static func range(_ text: String, option: String) throws -> ClosedRange<Int64> {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let lower = Int64(parts[0]), let upper = Int64(parts[1]), lower <= upper else {
                throw ValidationError("\(option) \(text): expected A-B, two integers with A <= B")
            }
            return lower...upper
        }

        func run() throws {
            let requested = features?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let plan: WatchTimePreparation.SplitPlan
            let input: WatchTimeLog
            if let dataset {
                let loaded = try Dataset.load(dataset)
                input = try WatchTimeLog.read(dataset: loaded, features: requested)
                if noDates {
                    plan = .single
                } else if let train, let validation, let test {
                    plan = .byDate(try named(train, validation, test))
                } else {
                    plan = .kept
                }
            } else {
                input = try WatchTimeLog.read(
                    logs: log, users: users, videos: videos, features: requested,
                    includeFeedbackFlags: includeFeedbackFlags, requireDates: !noDates, unitIsMilliseconds: (unit ?? "ms") == "ms")
                plan = noDates ? .single : .byDate(try named(
                    train ?? "20220408-20220421", validation ?? "20220422-20220428", test ?? "20220429-20220508"))
            }
            var options = WatchTimePreparation.Options(unitIsMilliseconds: (unit ?? (dataset == nil ? "ms" : "s")) == "ms", splits: plan)
            options.durationRange = try Self.range(durationRange, option: "--duration-range")
            options.relevanceThreshold = relevanceThreshold
            options.relevanceQuantile = relevanceQuantile
            let preparation = try WatchTimePreparation(log: input, options: options)
            try preparation.write(to: output, name: name ?? URL(fileURLWithPath: output).lastPathComponent)
            print("\(preparation.report.source) -> \(output)")
            print(preparation.report.text)
            let features = preparation.log.chosenFeatures
            print("features: " + (features.isEmpty ? "none" : features.joined(separator: ", ")))
        }

        private func named(_ train: String, _ validation: String, _ test: String) throws -> [WatchTimePreparation.NamedRange] {
            [
                .init(name: "train", range: try Self.range(train, option: "--train")),
                .init(name: "validation", range: try Self.range(validation, option: "--validation")),
                .init(name: "test", range: try Self.range(test, option: "--test")),
            ]
        }
    }
}
