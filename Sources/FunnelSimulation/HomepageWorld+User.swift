import Foundation
import FunnelTensor

/// Exposure rows, column by column.
struct HomepageExposures {
    var user: [Int32] = [], item: [Int32] = [], day: [Int64] = [], position: [Int32] = []
    var click: [Float] = [], interest: [Float] = [], attention: [Float] = [], portalClick: [Float] = []
    /// With the personalised policy (else empty): each exposure's per-draw propensity.
    var propensity: [Float] = []
    /// With `oracleLabels` (else empty): a label drawn from the interest probability.
    var oracleClick: [Float] = []
    /// With drift on (else empty): the drift truth columns.
    var afterShift: [Float] = [], shifted: [Float] = []
}

/// The rows one chunk of homepage users produced, column by column.
struct HomepageLog {
    /// Exposures of the training days and of the evaluation days.
    var training = HomepageExposures(), evaluation = HomepageExposures()
    // User-days with exposures.
    var dayUser: [Int32] = [], dayDay: [Int64] = [], portalVisit: [Float] = [], blockClick: [Float] = []
    var recentPortal: [Float] = [], intentProbability: [Float] = []
    var sequence: [Int32] = [], sequenceOffsets: [Int64] = [0]
    var clicked: [Int32] = [], clickedOffsets: [Int64] = [0]
    // Users.
    var profileUser: [Int32] = [], segment: [Int32] = [], age: [Int32] = []
    /// With `profileDimensions` > 1: segments of taste dimensions 1, 2, …, user after user.
    var extraSegments: [Int32] = []
    // Buffers reused from one user to the next.
    var scratchTaste: [Float] = [], scratchTokens: [Int32] = [], scratchClicks: [Int32] = [], scratchShown: [Int] = []
}

extension HomepageWorld {
    /// Simulates one user's warm-up month and logged days, appending the logged rows.
    func simulateUser(_ user: Int, days: Int, into log: inout HomepageLog) {
        let knobs = self.knobs
        var random = userGenerator(seed: seed, user: user)
        let dimensions = knobs.latentDimensions
        var taste = log.scratchTaste
        taste.removeAll(keepingCapacity: true)
        for _ in 0..<dimensions { taste.append(random.nextNormal()) }
        defer { log.scratchTaste = taste }
        let policy = policy(for: user, taste: taste)
        var oracle = userGenerator(seed: seed ^ 0x0_AC1E_CA11, user: user)
        let activity = sigmoid(logit(knobs.dailyActivity) + Double(random.nextNormal()))
        let goalShare = sigmoid(logit(knobs.goalDrivenShare) + 0.8 * Double(random.nextNormal()))
        let habit = knobs.portalHabitMean + knobs.portalHabitSpread * Double(random.nextNormal())
        let entry = knobs.portalDrivenClicks ? sigmoid(logit(knobs.blockEntryShare) + Double(random.nextNormal())) : 0
        // The profile sees a coarse, noisy view of the first taste dimension.
        let segmentPosition = sigmoid(1.7 * (Double(taste[0]) + 0.5 * Double(random.nextNormal())))
        log.profileUser.append(Int32(user))
        log.segment.append(Int32(Swift.min(knobs.userSegments - 1, Int(segmentPosition * Double(knobs.userSegments)))))
        log.age.append(Int32(random.next() % 8))
        if knobs.profileDimensions > 1 {
            // Further taste dimensions, seen as coarsely, from a stream of their own.
            var profile = userGenerator(seed: seed ^ 0x9F0F_11E5, user: user)
            for dimension in 1..<knobs.profileDimensions {
                let position = sigmoid(1.7 * (Double(taste[dimension]) + 0.5 * Double(profile.nextNormal())))
                log.extraSegments.append(Int32(Swift.min(knobs.userSegments - 1, Int(position * Double(knobs.userSegments)))))
            }
        }

        let history = knobs.historyDays
        var tokens = log.scratchTokens  // id 1 = token −1 (no portal visit)
        tokens.removeAll(keepingCapacity: true)
        tokens.append(contentsOf: repeatElement(1, count: history + days))
        var clicks = log.scratchClicks
        clicks.removeAll(keepingCapacity: true)
        var shown = log.scratchShown
        defer {
            log.scratchTokens = tokens
            log.scratchClicks = clicks
            log.scratchShown = shown
        }
        let driftOn = knobs.drift.isOn
        var userDrift = drift.user(user)
        for day in -history..<days {
            // The taste moves on every day, visited or not, through the warm-up month too.
            if driftOn { userDrift.advance(&taste, to: day, isFirstDay: day == -history) }
            let intentProbability = sigmoid(habit + knobs.dailyIntentNoise * Double(random.nextNormal()))
            let intends = Double(random.nextUnitFloat()) < intentProbability
            var blockClicked = false
            let clicksBefore = clicks.count
            if Double(random.nextUnitFloat()) < activity {
                let goalDriven = Double(random.nextUnitFloat()) < goalShare
                let attention = knobs.attentionBias ? attentionProbability(goalDriven: goalDriven, intends: intends) : 1
                let looked = Double(random.nextUnitFloat()) < attention
                let afterShift = drift.isAfterShift(day)
                shown.removeAll(keepingCapacity: true)
                for _ in 0..<knobs.blockItems {
                    var item = policy.drawItem(&random, afterShift: afterShift)
                    for _ in 0..<4 where shown.contains(item) { item = policy.drawItem(&random, afterShift: afterShift) }
                    shown.append(item)
                }
                // The slot a click made only to reach the portal lands on: uniform, or by what is displayed.
                let choice = portalChoice(shown)
                let portalPosition = looked && intends && Double(random.nextUnitFloat()) < entry
                    ? (knobs.displayedPortalChoice ? Self.draw(choice, Double(random.nextUnitFloat())) : Int(random.next() % UInt64(shown.count)))
                    : -1
                for (position, item) in shown.enumerated() {
                    var affinity: Float = 0
                    for dimension in 0..<dimensions { affinity += taste[dimension] * itemTraits[item * dimensions + dimension] }
                    let interest = sigmoid(
                        knobs.interestBias + knobs.interestScale * Double(affinity) + Double(itemBias[item])
                            + drift.appealOffset(item: item, day: day))
                    let interested = looked && Double(random.nextUnitFloat()) < interest
                    let clicked = interested || position == portalPosition
                    if clicked {
                        blockClicked = true
                        clicks.append(Int32(item))
                    }
                    guard day >= 0 else { continue }
                    let evaluation = day >= days - knobs.evaluationDays
                    func record(_ exposures: inout HomepageExposures) {
                        exposures.user.append(Int32(user))
                        exposures.item.append(Int32(item))
                        exposures.day.append(Int64(day))
                        exposures.position.append(Int32(position))
                        exposures.click.append(clicked ? 1 : 0)
                        exposures.interest.append(Float(interest))
                        exposures.attention.append(Float(attention))
                        exposures.portalClick.append(Float(intentProbability * entry * choice[position]))
                        if let propensity = policy.propensity(of: item, afterShift: afterShift) { exposures.propensity.append(propensity) }
                        if knobs.oracleLabels { exposures.oracleClick.append(Double(oracle.nextUnitFloat()) < interest ? 1 : 0) }
                        if driftOn {
                            exposures.afterShift.append(drift.isAfterShift(day) ? 1 : 0)
                            exposures.shifted.append(drift.isShifted(item: item, user: userDrift, day: day) ? 1 : 0)
                        }
                    }
                    if evaluation { record(&log.evaluation) } else { record(&log.training) }
                }
                let portal = blockClicked || (intends && Double(random.nextUnitFloat()) < knobs.otherEntryProbability)
                if day >= 0 {
                    log.dayUser.append(Int32(user))
                    log.dayDay.append(Int64(day))
                    log.portalVisit.append(portal ? 1 : 0)
                    log.blockClick.append(blockClicked ? 1 : 0)
                    log.intentProbability.append(Float(intentProbability))
                    // The 30 days before this one, oldest first; never the day itself.
                    let past = tokens[day..<(day + history)]
                    log.sequence.append(contentsOf: past)
                    log.sequenceOffsets.append(Int64(log.sequence.count))
                    log.recentPortal.append(past.suffix(7).contains { $0 >= 2 } ? 1 : 0)
                    // The clicks before today only.
                    let before = clicks[..<clicksBefore]
                    log.clicked.append(contentsOf: before.suffix(knobs.clickHistoryLength))
                    log.clickedOffsets.append(Int64(log.clicked.count))
                }
                tokens[day + history] = blockClicked ? 3 : (portal ? 2 : 1)
            } else {
                let portal = intends && Double(random.nextUnitFloat()) < knobs.otherEntryProbability
                tokens[day + history] = portal ? 2 : 1
            }
        }
    }

    /// The probability of looking at the block on a visit: by visit type (goal-driven or
    /// browsing), or, with `intentDrivenAttention`, high on days of portal intent and by visit
    /// type otherwise.
    func attentionProbability(goalDriven: Bool, intends: Bool) -> Double {
        guard knobs.intentDrivenAttention else { return goalDriven ? knobs.goalDrivenAttention : knobs.browsingAttention }
        if intends { return knobs.intentAttention }
        return goalDriven ? knobs.goalDrivenAttention : knobs.casualBrowsingAttention
    }

    /// The probability that a portal-driven click lands on each slot of `shown`: uniform, or,
    /// with `displayedPortalChoice`, a softmax over each item's badge and the first slot's pull.
    func portalChoice(_ shown: [Int]) -> [Double] {
        guard knobs.displayedPortalChoice else { return Array(repeating: 1 / Double(shown.count), count: shown.count) }
        let weights = shown.enumerated().map { slot, item in
            Foundation.exp(knobs.subsidyPull * Double(itemSubsidy[item]) + (slot == 0 ? knobs.firstSlotPull : 0))
        }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// The slot a uniform draw `u` picks from `probabilities` (the last slot takes rounding's rest).
    static func draw(_ probabilities: [Double], _ u: Double) -> Int {
        var cumulative = 0.0
        for (slot, probability) in probabilities.enumerated().dropLast() {
            cumulative += probability
            if u < cumulative { return slot }
        }
        return probabilities.count - 1
    }
}
