import Foundation
import FunnelTensor

/// The rows one chunk of watch-time users produced, column by column.
struct WatchTimeLog {
    // Views.
    var user: [Int32] = [], video: [Int32] = [], day: [Int64] = []
    var watchTime: [Float] = [], duration: [Float] = [], longView: [Float] = []
    var interest: [Float] = [], counterfactual: [Float] = [], noisy: [Float] = []
    // Users.
    var profileUser: [Int32] = [], segment: [Int32] = [], activityLevel: [Int32] = []

    mutating func append(_ other: WatchTimeLog) {
        user += other.user; video += other.video; day += other.day
        watchTime += other.watchTime; duration += other.duration; longView += other.longView
        interest += other.interest; counterfactual += other.counterfactual; noisy += other.noisy
        profileUser += other.profileUser; segment += other.segment; activityLevel += other.activityLevel
    }
}

extension WatchTimeWorld {
    static let activityLevels = 4

    /// Simulates one user's days, appending the views and the user's profile.
    func simulateUser(_ user: Int, days: Int, into log: inout WatchTimeLog) {
        let knobs = self.knobs
        var random = userGenerator(seed: seed, user: user)
        let dimensions = knobs.latentDimensions
        let taste = (0..<dimensions).map { _ in random.nextNormal() }
        let userBias = knobs.userInterestSpread * Double(random.nextNormal())
        let activity = sigmoid(logit(knobs.dailyActivity) + Double(random.nextNormal()))
        // The profile sees a coarse, noisy view of the first taste dimension, and the activity.
        let segmentPosition = sigmoid(1.7 * (Double(taste[0]) + 0.5 * Double(random.nextNormal())))
        log.profileUser.append(Int32(user))
        log.segment.append(Int32(Swift.min(knobs.userSegments - 1, Int(segmentPosition * Double(knobs.userSegments)))))
        log.activityLevel.append(Int32(Swift.min(Self.activityLevels - 1, Int(activity * Double(Self.activityLevels)))))

        let spread = knobs.watchTimeSpread
        let (early, full) = knobs.noisyWatching ? (knobs.earlyExitShare, knobs.earlyExitShare + knobs.fullPlayShare) : (0, 0)
        let threshold = knobs.longViewThreshold
        for day in 0..<days {
            guard Double(random.nextUnitFloat()) < activity else { continue }
            for _ in 0..<knobs.viewsPerVisit {
                let video = drawVideo(&random)
                var affinity: Float = 0
                for dimension in 0..<dimensions { affinity += taste[dimension] * videoTraits[video * dimensions + dimension] }
                let interestLogit = knobs.interestBias + knobs.interestScale * Double(affinity) + Double(videoPopularity[video]) + userBias
                // CWM's cost model w_c = c⁻¹/(−ln r) − 1, with −ln σ(x) = softplus(−x) computed stably.
                let negativeLogInterest = Swift.max(-interestLogit, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(interestLogit)))
                let noise = Foundation.exp(spread * Double(random.nextNormal()) - spread * spread / 2)
                let counterfactual = Swift.max(0, knobs.costInverse / Swift.max(negativeLogInterest, 1e-12) - 1) * noise
                // Every view draws the same values, so the bias knobs change watch times only.
                let kindDraw = Double(random.nextUnitFloat())
                let exitDraw = Double(random.nextUnitFloat())
                let duration = Double(videoDuration[video])
                let watched: Double
                if kindDraw < early {
                    watched = Swift.min(duration, exitDraw * knobs.earlyExitSeconds)
                } else if kindDraw < full {
                    watched = duration
                } else {
                    watched = Swift.min(counterfactual, duration)
                }
                let longView = (watched >= duration && duration <= threshold) || (watched > threshold && duration > threshold)
                log.user.append(Int32(user))
                log.video.append(Int32(video))
                log.day.append(Int64(day))
                log.watchTime.append(Float(watched))
                log.duration.append(Float(duration))
                log.longView.append(longView ? 1 : 0)
                log.interest.append(Float(sigmoid(interestLogit)))
                log.counterfactual.append(Float(counterfactual))
                log.noisy.append(kindDraw < full ? 1 : 0)
            }
        }
    }
}
