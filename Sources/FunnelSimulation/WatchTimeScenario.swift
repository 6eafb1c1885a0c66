import Foundation
import FunnelData
import FunnelTensor

/// The short-video world of CWM (Zhao et al., KDD 2024, arXiv 2406.07932) and D2Co (Zhao et
/// al., RecSys 2023, arXiv 2308.08120; watchtime.md): watch time mixes interest, the video's
/// duration and noisy watching.
///
/// Users visit on some days and play videos drawn by popularity. Each view has an interest
/// `r = σ(interestBias + interestScale·⟨taste, trait⟩ + video popularity + user bias)` in (0, 1)
/// and, by CWM's cost model, a counterfactual watch time — what the user would watch were the
/// video long enough — `w_c = (costInverse / (−ln r) − 1)·noise` (mean-one log-normal noise).
/// The observed watch time is `min(w_c, duration)` (the duration bias: short videos cut watch
/// time short, and a complete play only says `w_c ≥ duration`), except for noisy views: a share
/// ends within a few seconds and a share is played to the end, whatever the interest.
/// Durations follow a log-normal fitted to KuaiRand-Pure, truncated to [5, 400] s and rounded
/// to whole seconds; interest does not depend on duration, so any correlation of watch time
/// with duration is bias.
///
/// Tables: `train`/`test` views by day (user, video, day, the labels `watch_time` and
/// `duration` in seconds — the duration is a label, as the KuaiRand converter makes it, so
/// that it is never a model input by accident; duration-debiasing methods read it there — and
/// `long_view` (D2Co's ground-truth rule), and the truth `interest`,
/// `counterfactual_watch_time` and `noisy_view` (1 for an early exit or a forced full play));
/// side tables `user` (segment, activity level) and `video` (tag).
/// Invariant: 0 ≤ watch_time ≤ duration, with equality to min(counterfactual, duration) on
/// views that are not noisy. `durationBias = false` (every video lasts `durationMaximum`) and
/// `noisyWatching = false` switch the two biases off; views draw a fixed number of random values each, so those knobs change only
/// the watch times, never who watched what.
public enum WatchTimeScenario: Scenario {
    public static func simulate(users: Int, days: Int, seed: UInt64, knobs: Knobs) throws -> SimulatedWorld {
        try validate(users: users, days: days, knobs: knobs)
        let world = WatchTimeWorld(seed: seed, knobs: knobs)
        // Users are independent given the videos.
        let logs = simulateInChunks(users: users, empty: WatchTimeLog()) { user, log in
            world.simulateUser(user, days: days, into: &log)
        }
        return WatchTimeTables(knobs: knobs, users: users, days: days, world: world).assemble(logs)
    }

    private static func validate(users: Int, days: Int, knobs: Knobs) throws {
        func refuse(_ reason: String) -> KnobParser.KnobError {
            KnobParser.KnobError(description: "watchtime: \(reason)")
        }
        guard users > 0, days > knobs.evaluationDays, knobs.evaluationDays > 0 else {
            throw refuse("needs users > 0 and days > evaluationDays > 0")
        }
        guard knobs.videos > 0, knobs.videoTags > 0, knobs.userSegments > 0, knobs.latentDimensions > 0,
            knobs.viewsPerVisit > 0
        else { throw refuse("videos, videoTags, userSegments, latentDimensions and viewsPerVisit must be positive") }
        guard knobs.dailyActivity > 0, knobs.dailyActivity < 1 else { throw refuse("dailyActivity must lie in (0, 1)") }
        guard knobs.durationMinimum > 0, knobs.durationMinimum <= knobs.durationMedian,
            knobs.durationMedian <= knobs.durationMaximum,
            knobs.durationMinimum.rounded(.up) <= knobs.durationMaximum.rounded(.down)
        else { throw refuse("needs 0 < durationMinimum ≤ durationMedian ≤ durationMaximum, a whole second apart") }
        guard knobs.earlyExitShare >= 0, knobs.fullPlayShare >= 0, knobs.earlyExitShare + knobs.fullPlayShare <= 1 else {
            throw refuse("earlyExitShare and fullPlayShare must be 0 or more and sum to at most 1")
        }
        let nonNegative = [
            knobs.videoPopularitySpread, knobs.userInterestSpread, knobs.watchTimeSpread, knobs.durationSpread,
            knobs.earlyExitSeconds, knobs.longViewThreshold,
        ]
        guard nonNegative.allSatisfy({ $0 >= 0 }), knobs.costInverse > 0 else {
            throw refuse("spreads, earlyExitSeconds and longViewThreshold must be 0 or more, costInverse positive")
        }
    }
}

/// The fixed parts of a watch-time world: video traits, durations, tags and the exposure policy.
struct WatchTimeWorld: Sendable {
    let knobs: WatchTimeScenario.Knobs
    let seed: UInt64
    let videoTraits: [Float]
    let videoPopularity: [Float]
    /// Whole seconds in [durationMinimum, durationMaximum].
    let videoDuration: [Float]
    let videoTag: [Int32]
    /// Cumulative exposure weights of the videos (popular videos are shown more).
    let exposureCumulative: [Double]

    init(seed: UInt64, knobs: WatchTimeScenario.Knobs) {
        self.knobs = knobs
        self.seed = seed
        var random = RandomGenerator(seed: seed ^ 0x7A7C_4D0E)
        let dimensions = knobs.latentDimensions
        let scale = Float(1 / Double(dimensions).squareRoot())
        let traits = (0..<knobs.videos * dimensions).map { _ in random.nextNormal() * scale }
        videoTraits = traits
        videoPopularity = (0..<knobs.videos).map { _ in random.nextNormal() * Float(knobs.videoPopularitySpread) }
        let (low, high) = (knobs.durationMinimum.rounded(.up), knobs.durationMaximum.rounded(.down))
        let drawn = (0..<knobs.videos).map { _ in
            // A log-normal truncated to the range by rejection (a few tries at the defaults).
            var duration = knobs.durationMedian
            for _ in 0..<64 {
                let draw = knobs.durationMedian * Foundation.exp(knobs.durationSpread * Double(random.nextNormal()))
                if draw.rounded() >= low && draw.rounded() <= high {
                    duration = draw
                    break
                }
            }
            return Float(Swift.min(high, Swift.max(low, duration.rounded())))
        }
        // Without the duration bias every video lasts the longest duration (drawn anyway, so
        // that the rest of the world stays the same).
        videoDuration = knobs.durationBias ? drawn : Array(repeating: Float(high), count: knobs.videos)
        // The tag is a coarse, noisy view of the first trait (scaled back to unit variance).
        videoTag = (0..<knobs.videos).map { video in
            let position = sigmoid(1.7 * (Double(traits[video * dimensions]) / Double(scale) + 0.5 * Double(random.nextNormal())))
            return Int32(Swift.min(knobs.videoTags - 1, Int(position * Double(knobs.videoTags))))
        }
        var running = 0.0
        exposureCumulative = videoPopularity.map { bias in
            running += Foundation.exp(Double(bias))
            return running
        }
    }

    func drawVideo(_ random: inout RandomGenerator) -> Int {
        let target = Double(random.nextUnitFloat()) * exposureCumulative[exposureCumulative.count - 1]
        var low = 0
        var high = exposureCumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if exposureCumulative[middle] <= target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
