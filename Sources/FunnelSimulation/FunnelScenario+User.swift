import FunnelTensor

/// The rows one chunk of funnel users produced, column by column.
struct FunnelLog {
    // Exposures.
    var user: [Int32] = [], item: [Int32] = [], day: [Int64] = []
    var click: [Float] = [], conversion: [Float] = []
    var trueCTR: [Float] = [], trueCVR: [Float] = [], trueCTCVR: [Float] = []
    // With several conversion types (then `conversion`, `trueCVR` and `trueCTCVR` stay empty):
    // one array per type.
    var typeConversion: [[Float]] = [], typeCVR: [[Float]] = [], typeCTCVR: [[Float]] = []
    // With drift on (else empty): the drift truth columns.
    var afterShift: [Float] = [], shifted: [Float] = []
    // Users.
    var profileUser: [Int32] = [], segment: [Int32] = [], age: [Int32] = [], gender: [Int32] = []

    mutating func append(_ other: FunnelLog) {
        user += other.user; item += other.item; day += other.day
        click += other.click; conversion += other.conversion
        trueCTR += other.trueCTR; trueCVR += other.trueCVR; trueCTCVR += other.trueCTCVR
        func merge(_ mine: inout [[Float]], _ theirs: [[Float]]) {
            if mine.isEmpty { mine = theirs } else { for type in theirs.indices { mine[type] += theirs[type] } }
        }
        merge(&typeConversion, other.typeConversion); merge(&typeCVR, other.typeCVR); merge(&typeCTCVR, other.typeCTCVR)
        afterShift += other.afterShift; shifted += other.shifted
        profileUser += other.profileUser; segment += other.segment; age += other.age; gender += other.gender
    }
}

extension FunnelWorld {
    /// Simulates one user's days, appending the exposures and the user's profile.
    func simulateUser(_ user: Int, days: Int, into log: inout FunnelLog) {
        let knobs = self.knobs
        var random = userGenerator(seed: seed, user: user)
        let dimensions = knobs.latentDimensions
        var taste = (0..<dimensions).map { _ in random.nextNormal() }
        let clickiness = knobs.userClickSpread * Double(random.nextNormal())
        let buying = knobs.userConversionSpread * Double(random.nextNormal())
        let activity = sigmoid(logit(knobs.dailyActivity) + Double(random.nextNormal()))
        // The profile sees a coarse, noisy view of the first taste dimension.
        let segmentPosition = sigmoid(1.7 * (Double(taste[0]) + 0.5 * Double(random.nextNormal())))
        log.profileUser.append(Int32(user))
        log.segment.append(Int32(Swift.min(knobs.userSegments - 1, Int(segmentPosition * Double(knobs.userSegments)))))
        log.age.append(Int32(random.next() % 8))
        log.gender.append(Int32(random.next() % 2))

        // Several conversion types: each type's own user buying and every exposure's draws come
        // from a stream of their own, so clicks do not depend on the number of types or on ρ.
        let types = knobs.conversionTypes
        var typeRandom = userGenerator(seed: seed ^ 0x51_7C_C1_B7_27_22_0A_95, user: user)
        let typeBuying = types > 1 ? (0..<types).map { _ in knobs.userConversionSpread * Double(typeRandom.nextNormal()) } : []
        let sharedWeight = knobs.conversionCorrelation.squareRoot(), ownWeight = (1 - knobs.conversionCorrelation).squareRoot()
        if types > 1, log.typeConversion.isEmpty {
            log.typeConversion = Array(repeating: [], count: types)
            log.typeCVR = Array(repeating: [], count: types)
            log.typeCTCVR = Array(repeating: [], count: types)
        }

        let driftOn = knobs.drift.isOn
        var userDrift = drift.user(user)
        var shown: [Int] = []
        for day in 0..<days {
            // The taste moves on every day, visited or not.
            if driftOn { userDrift.advance(&taste, to: day, isFirstDay: day == 0) }
            guard Double(random.nextUnitFloat()) < activity else { continue }
            shown.removeAll(keepingCapacity: true)
            for _ in 0..<knobs.exposuresPerVisit {
                var item = drawItem(&random, day: day)
                // A page rarely shows the same item twice.
                for _ in 0..<4 where shown.contains(item) { item = drawItem(&random, day: day) }
                shown.append(item)
                var affinity: Float = 0
                for dimension in 0..<dimensions { affinity += taste[dimension] * itemTraits[item * dimensions + dimension] }
                // Every exposure draws the same three values, so conversion knobs leave clicks alone.
                let hidden = Double(affinity) + knobs.momentaryIntentSpread * Double(random.nextNormal())
                let clickDraw = Double(random.nextUnitFloat())
                let purchaseDraw = Double(random.nextUnitFloat())
                let price = Double(itemPriceLevel[item]) - Double(FunnelWorld.priceLevels - 1) / 2
                let ctr = sigmoid(
                    knobs.clickBias + knobs.affinityScale * hidden + Double(itemPopularity[item]) + clickiness
                        - knobs.priceClickEffect * price + drift.appealOffset(item: item, day: day))
                let clicked = clickDraw < ctr
                log.user.append(Int32(user))
                log.item.append(Int32(item))
                log.day.append(Int64(day))
                log.click.append(clicked ? 1 : 0)
                log.trueCTR.append(Float(ctr))
                if driftOn {
                    log.afterShift.append(drift.isAfterShift(day) ? 1 : 0)
                    log.shifted.append(drift.isShifted(item: item, user: userDrift, day: day) ? 1 : 0)
                }
                if types == 1 {
                    let cvr = sigmoid(
                        knobs.conversionBias + knobs.sharedCauseWeight * hidden + buying + Double(itemConversion[item])
                            - knobs.priceConversionEffect * price)
                    let converted = clicked && purchaseDraw < cvr
                    log.conversion.append(converted ? 1 : 0)
                    log.trueCVR.append(Float(cvr))
                    log.trueCTCVR.append(Float(ctr * cvr))
                    continue
                }
                let shared = buying + Double(itemConversion[item])
                for type in 0..<types {
                    let own = typeBuying[type] + Double(itemTypeConversion[type * knobs.items + item])
                    let cvr = sigmoid(
                        conversionTypeBiases[type] + knobs.sharedCauseWeight * hidden + sharedWeight * shared
                            + ownWeight * own - knobs.priceConversionEffect * price)
                    let draw = type == 0 ? purchaseDraw : Double(typeRandom.nextUnitFloat())
                    log.typeConversion[type].append(clicked && draw < cvr ? 1 : 0)
                    log.typeCVR[type].append(Float(cvr))
                    log.typeCTCVR[type].append(Float(ctr * cvr))
                }
            }
        }
    }
}
