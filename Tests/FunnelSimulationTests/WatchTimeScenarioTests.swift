import Foundation
import FunnelData
import FunnelMetrics
import Testing

@testable import FunnelSimulation

/// The watch-time world (CWM's and D2Co's): reproducible, consistent on every view, calibrated
/// to KuaiRand, and biased in the documented directions — truncation by the duration makes
/// watch time follow duration beyond interest, and noisy views blur the ranking; each bias can
/// be switched off.
@Suite struct WatchTimeScenarioTests {
    // Small worlds: 2,000 users × 6 days, the last 2 for evaluation.
    static let users = 2_000
    static let days = 6

    static func simulate(seed: UInt64 = 19, _ knobs: [String: String] = [:]) throws -> SimulatedWorld {
        try ScenarioKind.watchtime.simulate(users: users, days: days, seed: seed, knobs: knobs)
    }

    @Test func sameSeedGivesIdenticalBytesAndAnotherSeedDoesNot() throws {
        let bytes = try writtenBytes(.watchtime, users: Self.users, days: Self.days, seeds: [5, 5, 6])
        #expect(bytes[0].count > 100_000)
        #expect(bytes[0] == bytes[1])
        #expect(bytes[0] != bytes[2])
    }

    @Test func everyViewIsConsistent() throws {
        let world = try Self.simulate()
        let knobs = WatchTimeScenario.Knobs()
        for (name, table) in world.splits {
            let views = Views(table)
            let day = integers(table, "day")
            #expect(table.rowCount > 10_000, "\(name): \(table.rowCount) rows")
            var failures: [String] = []
            for row in 0..<table.rowCount where failures.count < 5 {
                let (watched, duration, counterfactual) = (views.watch[row], views.duration[row], views.counterfactual[row])
                let threshold = Float(knobs.longViewThreshold)
                let longView = (watched >= duration && duration <= threshold) || (watched > threshold && duration > threshold)
                let noisy = views.noisy[row] == 1
                let issues = [
                    watched >= 0 && watched <= duration ? nil : "watch time \(watched) outside [0, \(duration)]",
                    duration >= 5 && duration <= 400 && duration == duration.rounded() ? nil : "duration \(duration)",
                    views.interest[row] > 0 && views.interest[row] < 1 && counterfactual >= 0 ? nil : "interest or counterfactual",
                    noisy || watched == min(counterfactual, duration) ? nil : "watch ≠ min(counterfactual, duration)",
                    !noisy || watched == duration || watched <= Float(knobs.earlyExitSeconds) ? nil : "noisy view neither early exit nor full play",
                    views.longView[row] == (longView ? 1 : 0) ? nil : "long_view disagrees with D2Co's rule",
                    (name == "train") == (day[row] < Int64(Self.days - knobs.evaluationDays)) ? nil : "day in the wrong split",
                ]
                failures += issues.compactMap { $0.map { "\(name) row \(row): \($0)" } }
            }
            #expect(failures.isEmpty, "\(failures)")
        }
        #expect(world.sideTables["user"]?.rowCount == Self.users)
        #expect(world.sideTables["video"]?.rowCount == knobs.videos)
    }

    /// Defaults: ≈ 17.5 % complete plays (KuaiRand under D2Co's filter), durations with
    /// KuaiRand-Pure's median (81 s), ≈ 20 % noisy views.
    @Test func defaultsMatchKuaiRand() throws {
        let views = Views(try Self.simulate())
        let complete = Double(views.watch.indices.filter { views.watch[$0] >= views.duration[$0] }.count) / Double(views.watch.count)
        let world = WatchTimeWorld(seed: 19, knobs: WatchTimeScenario.Knobs())
        let median = world.videoDuration.sorted()[world.videoDuration.count / 2]
        let noisy = mean(views.noisy)
        print("watchtime defaults: complete plays \(complete), median duration \(median) s, noisy views \(noisy), mean watch \(mean(views.watch)) s")
        #expect(complete > 0.14 && complete < 0.21, "complete plays \(complete)")
        #expect(median > 70 && median < 95, "median duration \(median)")
        #expect(abs(noisy - 0.2) < 0.01, "noisy views \(noisy)")
    }

    /// Interest does not depend on the duration, yet watch time does (truncation): the
    /// correlation of watch time with duration is clearly positive, and what watch time leaves
    /// unexplained of interest falls with duration (a complete play of a short video means more
    /// interest than the same seconds of a long one). Per-video mean watch time (the naive
    /// value-regression ranking) puts long videos on top. Noisy watching off, to isolate it.
    @Test func durationBiasMakesWatchTimeFollowDuration() throws {
        let views = Views(try Self.simulate(["noisyWatching": "false"]))
        let watchDuration = Self.pearson(views.watch, views.duration)
        let interestDuration = Self.pearson(views.interest, views.duration)
        let slope = Self.pearson(views.interest, views.watch) * Self.deviation(views.interest) / Self.deviation(views.watch)
        let residual = views.interest.indices.map { views.interest[$0] - Float(slope) * views.watch[$0] }
        let residualDuration = Self.pearson(residual, views.duration)
        let (byWatch, byInterest) = (views.topVideoDuration(by: views.watch), views.topVideoDuration(by: views.interest))
        print("watchtime duration bias on: corr(watch, duration) \(watchDuration), corr(interest, duration) \(interestDuration), corr(interest − b·watch, duration) \(residualDuration), mean duration of top-decile videos by watch \(byWatch) s vs by interest \(byInterest) s")
        #expect(watchDuration > 0.1, "corr(watch, duration) \(watchDuration)")
        #expect(abs(interestDuration) < 0.05, "corr(interest, duration) \(interestDuration)")
        #expect(residualDuration < -0.1, "corr(residual, duration) \(residualDuration)")
        #expect(byWatch > 1.3 * byInterest, "top videos by watch time last \(byWatch) s, by interest \(byInterest) s")
    }

    /// With every video equally long, watch time ranks views, users' videos and videos by
    /// interest: XAUC of watch time against interest ≥ 0.8 over views (the rest is the
    /// counterfactual's own noise, watchTimeSpread: without it XAUC ≥ 0.99) and ≥ 0.85 over
    /// per-video means, each clearly above the biased world's (which ranks better within one
    /// duration decile than across them, D2Q's premise). Noisy watching off.
    @Test func withoutDurationBiasWatchTimeRanksByInterest() throws {
        let biased = Views(try Self.simulate(["noisyWatching": "false"]))
        let unbiased = Views(try Self.simulate(["noisyWatching": "false", "durationBias": "false"]))
        let exact = Views(try Self.simulate(["noisyWatching": "false", "durationBias": "false", "watchTimeSpread": "0"]))
        let (xaucBiased, xaucUnbiased, xaucExact) = (try biased.xauc(), try unbiased.xauc(), try exact.xauc())
        let withinDuration = try GroupedXAUC(
            predictions: biased.watch, targets: biased.interest, groups: Self.deciles(biased.duration)
        ).value
        let perUser = try GroupedXAUC(predictions: unbiased.watch, targets: unbiased.interest, groups: unbiased.user).value
        let perUserBiased = try GroupedXAUC(predictions: biased.watch, targets: biased.interest, groups: biased.user).value
        let videoRanking = try unbiased.videoXAUC(), biasedVideoRanking = try biased.videoXAUC()
        print("watchtime XAUC(watch → interest): duration bias on \(xaucBiased), off \(xaucUnbiased), off without watchTimeSpread \(xaucExact), on within duration deciles \(withinDuration); per user (XGAUC): on \(perUserBiased), off \(perUser); per-video means: on \(biasedVideoRanking), off \(videoRanking)")
        #expect(xaucUnbiased > 0.8 && xaucUnbiased - xaucBiased > 0.025, "XAUC off \(xaucUnbiased) vs on \(xaucBiased)")
        #expect(xaucExact > 0.99, "XAUC without duration bias and counterfactual noise \(xaucExact)")
        #expect(perUser - perUserBiased > 0.025, "XGAUC off \(perUser) vs on \(perUserBiased)")
        #expect(videoRanking > 0.85 && videoRanking - biasedVideoRanking > 0.05, "per-video XAUC off \(videoRanking), on \(biasedVideoRanking)")
        #expect(withinDuration - xaucBiased > 0.005, "within-duration XAUC \(withinDuration) vs overall \(xaucBiased)")
    }

    /// Noisy views (early exits, forced full plays) blur the ranking; switched off, every view is
    /// min(counterfactual, duration).
    @Test func noisyWatchingBlursTheRanking() throws {
        let noisy = Views(try Self.simulate()), clean = Views(try Self.simulate(["noisyWatching": "false"]))
        let (xaucNoisy, xaucClean) = (try noisy.xauc(), try clean.xauc())
        let shortViews = Double(noisy.watch.filter { $0 < 5 }.count) / Double(noisy.watch.count)
        let shortClean = Double(clean.watch.filter { $0 < 5 }.count) / Double(clean.watch.count)
        print("watchtime noisy watching: XAUC on \(xaucNoisy), off \(xaucClean); views under 5 s on \(shortViews), off \(shortClean)")
        #expect(xaucClean - xaucNoisy > 0.05, "XAUC noisy \(xaucNoisy) vs clean \(xaucClean)")
        #expect(shortViews > shortClean + 0.1, "views under 5 s: noisy \(shortViews), clean \(shortClean)")
        #expect(clean.noisy.allSatisfy { $0 == 0 })
        #expect(clean.watch.indices.allSatisfy { clean.watch[$0] == min(clean.counterfactual[$0], clean.duration[$0]) })
        #expect(noisy.video == clean.video, "the knob changes watch times only, never who watched what")
    }

    @Test func writtenFolderLoadsBack() throws {
        let world = try Self.simulate()
        let folder = try TemporaryFolder()
        try world.write(to: folder.path)
        let loaded = try Dataset.load(folder.path)
        #expect(loaded.schema == world.schema)
        #expect(loaded.schema.column(named: "duration")?.kind == .label)
        #expect(loaded.schema.columns.filter { $0.role == .truth }.map(\.name) == ["interest", "counterfactual_watch_time", "noisy_view"])
        for (name, table) in world.splits {
            let read = try loaded.split(name)
            #expect(read.rowCount == table.rowCount)
            for column in ["watch_time", "duration", "long_view", "interest", "counterfactual_watch_time"] {
                #expect(floats(read, column) == floats(table, column), "\(name).\(column)")
            }
            #expect(read.joins["video"]?.array == ids(table, "video"), "side table video joins by id")
        }
        #expect(loaded.sideTables["video"]?.rowCount == WatchTimeScenario.Knobs().videos)
    }
}

// MARK: - Helpers (nested, so that they never clash with other suites' helpers)

extension WatchTimeScenarioTests {
    /// The columns of the views of one split, or of both (train first).
    struct Views {
        var user: [Int32] = [], video: [Int32] = [], watch: [Float] = [], duration: [Float] = [], longView: [Float] = []
        var interest: [Float] = [], counterfactual: [Float] = [], noisy: [Float] = []

        init(_ world: SimulatedWorld) {
            for name in ["train", "test"] {
                guard let table = world.splits[name] else { continue }
                let split = Views(table)
                user += split.user; video += split.video; watch += split.watch; duration += split.duration; longView += split.longView
                interest += split.interest; counterfactual += split.counterfactual; noisy += split.noisy
            }
        }

        init(_ table: Table) {
            (user, video) = (ids(table, "user"), ids(table, "video"))
            (watch, duration) = (floats(table, "watch_time"), floats(table, "duration"))
            longView = floats(table, "long_view")
            interest = floats(table, "interest")
            counterfactual = floats(table, "counterfactual_watch_time")
            noisy = floats(table, "noisy_view")
        }

        /// XAUC of watch time (the prediction) against interest (the target), over all views.
        func xauc() throws -> Double { try Metrics.xauc(predictions: watch, targets: interest) }

        /// Per-video means of `values` over videos with at least 5 views, with their durations.
        func videoMeans(_ values: [Float]) -> (means: [Double], durations: [Float]) {
            var sums: [Int32: (Double, Int, Float)] = [:]
            for row in video.indices {
                let (sum, count, _) = sums[video[row]] ?? (0, 0, duration[row])
                sums[video[row]] = (sum + Double(values[row]), count + 1, duration[row])
            }
            let kept = sums.keys.sorted().compactMap { key in sums[key].flatMap { $0.1 >= 5 ? $0 : nil } }
            return (kept.map { $0.0 / Double($0.1) }, kept.map(\.2))
        }

        /// XAUC of per-video mean watch time against per-video mean interest.
        func videoXAUC() throws -> Double {
            try Metrics.xauc(predictions: videoMeans(watch).means, targets: videoMeans(interest).means)
        }

        /// The mean duration of the top 10 % of videos ranked by their mean of `values`.
        func topVideoDuration(by values: [Float]) -> Double {
            let (means, durations) = videoMeans(values)
            let top = means.indices.sorted { means[$0] > means[$1] }.prefix(means.count / 10)
            return top.reduce(0.0) { $0 + Double(durations[$1]) } / Double(top.count)
        }
    }



    static func deviation(_ values: [Float]) -> Double {
        let center = mean(values)
        return (values.reduce(0.0) { $0 + (Double($1) - center) * (Double($1) - center) } / Double(values.count)).squareRoot()
    }

    static func pearson(_ first: [Float], _ second: [Float]) -> Double {
        let (firstMean, secondMean) = (mean(first), mean(second))
        let covariance = first.indices.reduce(0.0) { $0 + (Double(first[$1]) - firstMean) * (Double(second[$1]) - secondMean) }
        return covariance / Double(first.count) / (deviation(first) * deviation(second))
    }

    /// The decile (0–9) of each value among all of them.
    static func deciles(_ values: [Float]) -> [Int] {
        let sorted = values.sorted()
        return values.map { value in
            var (low, high) = (0, sorted.count)
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle] < value { low = middle + 1 } else { high = middle }
            }
            return Swift.min(9, low * 10 / sorted.count)
        }
    }
}
