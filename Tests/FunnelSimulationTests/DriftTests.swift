import Foundation
import FunnelData
import Testing

@testable import FunnelSimulation

/// Drift in the funnel and homepage worlds (``DriftKnobs``): off by default and then the worlds
/// are what they were byte for byte; with a shift, new items appear only from the shift day,
/// collapsed items lose the documented appeal and only shifted users change taste; with a
/// random walk, tastes decorrelate over longer gaps; bad knobs are refused by name.
@Suite struct DriftTests {
    static let users = 2_000
    static let days = 6

    /// Fingerprints of 300 users × 6 days, seed 11, pinned with the code before drift existed
    /// (the homepage's first worlds: its defaults changed with issue 15).
    static let pinnedFingerprints: [(ScenarioKind, [String: String], UInt64)] = [
        (.funnel, [:], 0xC663_D549_77F0_0B81),
        (.funnel, ["conversionTypes": "3"], 0xCE94_1A07_D260_DF4A),
        (.homepage, HomepageScenario.firstWorlds, 0x3A91_7C05_CEFD_6F3B),
    ]

    static let shift = ["shiftDay": "3"]

    @Test func defaultKnobsLeaveEveryWorldUnchanged() throws {
        let off = [
            "tasteDriftPerDay": "0", "shiftDay": "-1", "shiftedUserShare": "0.9",
            "appealCollapse": "5",
        ]
        for (kind, knobs, pinned) in Self.pinnedFingerprints {
            let world = try kind.simulate(users: 300, days: 6, seed: 11, knobs: knobs)
            #expect(try WorldFingerprint(world).value == pinned, "\(kind) \(knobs)")
            let explicitlyOff = try kind.simulate(
                users: 300, days: 6, seed: 11, knobs: knobs.merging(off) { $1 })
            #expect(
                try WorldFingerprint(explicitlyOff).value == pinned,
                "\(kind) \(knobs) with drift knobs set off")
            #expect(
                world.schema.column(named: "after_shift") == nil
                    && world.schema.column(named: "shifted") == nil)
        }
    }

    @Test func driftKnobsAreParsedAndListedByTheirOwnNames() throws {
        let funnel = try KnobParser.apply(
            ["shiftDay": "4", "tasteDriftPerDay": "0.2"], to: FunnelScenario.Knobs())
        #expect(funnel.drift.shiftDay == 4 && funnel.drift.tasteDriftPerDay == 0.2)
        let homepage = try KnobParser.apply(["newItemShare": "0.25"], to: HomepageScenario.Knobs())
        #expect(homepage.drift.newItemShare == 0.25)
        #expect(throws: KnobParser.KnobError.self) {
            try KnobParser.apply(["drift": "1"], to: FunnelScenario.Knobs())
        }
        let driftNames = Mirror(reflecting: DriftKnobs()).children.compactMap(\.label)
        #expect(driftNames == DriftKnobs.documentation.map(\.name))
        // What `funnel simulate <world> --list-knobs` prints.
        for kind in [ScenarioKind.funnel, .homepage] {
            let listed = kind.knobDocumentation.map(\.name)
            #expect(Array(listed.suffix(driftNames.count)) == driftNames, "\(kind)")
            #expect(kind.knobDocumentation.allSatisfy { !$0.rationale.isEmpty })
        }
        let funnelNames = Mirror(reflecting: FunnelScenario.Knobs()).children.compactMap(\.label)
            .filter { $0 != "drift" }
        #expect(funnelNames + driftNames == FunnelScenario.Knobs.documentation.map(\.name))
        let homepageNames = Mirror(reflecting: HomepageScenario.Knobs()).children.compactMap(
            \.label
        ).filter { $0 != "drift" }
        #expect(homepageNames + driftNames == HomepageScenario.Knobs.documentation.map(\.name))
    }

    @Test func invalidDriftKnobsAreRefusedNamingTheKnob() {
        let invalid: [(String, String)] = [
            ("shiftDay", "0"), ("shiftDay", "6"), ("shiftDay", "-2"), ("shiftedUserShare", "1.5"),
            ("newItemShare", "-0.1"), ("newItemShare", "1"), ("collapsedItemShare", "2"),
            ("tasteDriftPerDay", "1.5"), ("tasteDriftPerDay", "-0.1"), ("appealCollapse", "-1"),
        ]
        for kind in [ScenarioKind.funnel, .homepage] {
            for (name, value) in invalid {
                var knobs = ["shiftDay": "3"]
                knobs[name] = value
                do {
                    _ = try kind.simulate(users: 10, days: Self.days, seed: 1, knobs: knobs)
                    Issue.record("\(kind): \(name)=\(value) was accepted")
                } catch {
                    #expect("\(error)".contains(name), "\(kind) \(name)=\(value): \(error)")
                }
            }
            #expect(throws: KnobParser.KnobError.self) {
                try kind.simulate(
                    users: 10, days: Self.days, seed: 1,
                    knobs: ["shiftDay": "3", "newItemShare": "0.6", "collapsedItemShare": "0.5"])
            }
        }
    }

    @Test func theSameSeedGivesTheSameDriftingWorld() throws {
        let knobs = ["tasteDriftPerDay": "0.2", "shiftDay": "3"]
        for kind in [ScenarioKind.funnel, .homepage] {
            let fingerprints = try [5, 5, 6].map { seed in
                try WorldFingerprint(
                    kind.simulate(users: 300, days: Self.days, seed: UInt64(seed), knobs: knobs)
                ).value
            }
            #expect(
                fingerprints[0] == fingerprints[1] && fingerprints[0] != fingerprints[2], "\(kind)")
        }
    }

    /// Drift draws come from their own streams. When the taste has no weight on clicks, a taste
    /// random walk changes nothing but the drift columns; with the default weight, the funnel
    /// world still shows the same items to the same users on the same days (the homepage world
    /// skips a draw after a block click, so there a changed click changes later draws).
    @Test func tasteDriftChangesNoOtherDraw() throws {
        for (kind, weight, truth) in [
            (ScenarioKind.funnel, "affinityScale", "true_ctr"),
            (.homepage, "interestScale", "interest_probability"),
        ] {
            let blind = [weight: "0"]
            let still = DriftRows(
                try kind.simulate(users: 300, days: Self.days, seed: 3, knobs: blind), truth: truth)
            let world = try kind.simulate(
                users: 300, days: Self.days, seed: 3,
                knobs: blind.merging(["tasteDriftPerDay": "0.2"]) { $1 })
            let drifting = DriftRows(world, truth: truth)
            let sameExposures =
                still.user == drifting.user && still.item == drifting.item
                && still.day == drifting.day
            let sameTruths = still.truth == drifting.truth && !still.day.isEmpty
            let click: [Float] = DriftRows.column(world, "click")
            let sameClicks =
                DriftRows.column(
                    try kind.simulate(users: 300, days: Self.days, seed: 3, knobs: blind), "click")
                == click
            #expect(sameExposures && sameTruths && sameClicks, "\(kind)")
            #expect(
                drifting.afterShift.count == drifting.day.count
                    && drifting.afterShift.allSatisfy { $0 == 0 })
            #expect(
                drifting.shifted.count == drifting.day.count
                    && drifting.shifted.allSatisfy { $0 == 0 })
        }
        let still = DriftRows(
            try ScenarioKind.funnel.simulate(users: 300, days: Self.days, seed: 3),
            truth: "true_ctr")
        let drifting = DriftRows(
            try ScenarioKind.funnel.simulate(
                users: 300, days: Self.days, seed: 3, knobs: ["tasteDriftPerDay": "0.2"]),
            truth: "true_ctr")
        let sameExposures =
            still.user == drifting.user && still.item == drifting.item && still.day == drifting.day
        let changedTruths = still.truth != drifting.truth
        #expect(sameExposures && changedTruths)
    }

    @Test func newItemsAreShownOnlyFromTheShiftDay() throws {
        for kind in [ScenarioKind.funnel, .homepage] {
            let world = try kind.simulate(
                users: Self.users, days: Self.days, seed: 17, knobs: Self.shift)
            let drift = try DriftRows.drift(kind, seed: 17, knobs: Self.shift)
            let rows = DriftRows(
                world, truth: kind == .funnel ? "true_ctr" : "interest_probability")
            let newRows = rows.day.indices.filter { drift.role(of: Int(rows.item[$0])) == .new }
            let before = newRows.filter { rows.day[$0] < 3 }.count
            let after = newRows.count - before
            let rowsAfter = rows.day.filter { $0 >= 3 }.count
            print("\(kind): new items in \(after) of \(rowsAfter) exposures from the shift day")
            #expect(
                drift.itemRoles.filter { $0 == .new }.count == 200
                    && drift.itemRoles.filter { $0 == .collapsed }.count == 200)
            #expect(before == 0, "\(kind): \(before) exposures of new items before the shift day")
            // 10 % of the items, boosted by e^1: ≈ 23 % of the exposures after the shift.
            #expect(
                Double(after) > 0.15 * Double(rowsAfter)
                    && Double(after) < 0.32 * Double(rowsAfter), "\(kind)")
            #expect(
                rows.day.indices.allSatisfy { rows.afterShift[$0] == (rows.day[$0] >= 3 ? 1 : 0) })
            #expect(newRows.allSatisfy { rows.shifted[$0] == 1 })
            #expect(rows.day.indices.allSatisfy { rows.day[$0] >= 3 || rows.shifted[$0] == 0 })
        }
    }

    /// Collapsed items lose `appealCollapse` = 2 logits: the mean logit of their click truth drops
    /// by ≈ 2, their mean truth by the factor the before-shift truths predict (≈ e^−2 at low
    /// rates), while stable items stay put (no user shifts here).
    @Test func collapsedItemsLoseTheDocumentedAppeal() throws {
        let knobs = ["shiftDay": "3", "shiftedUserShare": "0"]
        for kind in [ScenarioKind.funnel, .homepage] {
            let world = try kind.simulate(
                users: Self.users, days: Self.days, seed: 23, knobs: knobs)
            let drift = try DriftRows.drift(kind, seed: 23, knobs: knobs)
            let rows = DriftRows(
                world, truth: kind == .funnel ? "true_ctr" : "interest_probability")
            for role in [Drift.ItemRole.collapsed, .stable] {
                let chosen = rows.day.indices.filter { drift.role(of: Int(rows.item[$0])) == role }
                let before = chosen.filter { rows.day[$0] < 3 }.map { Double(rows.truth[$0]) }
                let after = chosen.filter { rows.day[$0] >= 3 }.map { Double(rows.truth[$0]) }
                let logitDrop = DriftRows.meanLogit(after) - DriftRows.meanLogit(before)
                let ratio = DriftRows.mean(after) / DriftRows.mean(before)
                let expected =
                    role == .stable
                    ? 1
                    : DriftRows.mean(before.map { sigmoid(logit($0) - 2) }) / DriftRows.mean(before)
                print(
                    "\(kind) \(role): mean logit change \(logitDrop), mean truth ratio \(ratio) (expected \(expected))"
                )
                #expect(
                    abs(logitDrop - (role == .stable ? 0 : -2)) < 0.12,
                    "\(kind) \(role): \(logitDrop)")
                #expect(
                    abs(ratio / expected - 1) < 0.12,
                    "\(kind) \(role): ratio \(ratio), expected \(expected)")
            }
        }
    }

    /// With no new or collapsed items and no random walk, a user–item pair's click truth changes
    /// at the shift exactly for the users who redraw their taste (≈ 30 % of them).
    @Test func onlyShiftedUsersChangeTaste() throws {
        let knobs = [
            "shiftDay": "3", "newItemShare": "0", "collapsedItemShare": "0", "items": "100",
            "momentaryIntentSpread": "0",
        ]
        let rows = DriftRows(
            try ScenarioKind.funnel.simulate(
                users: Self.users, days: Self.days, seed: 29, knobs: knobs), truth: "true_ctr")
        let shiftedUsers = Set(
            rows.day.indices.filter { rows.shifted[$0] == 1 }.map { rows.user[$0] })
        let usersAfter = Set(rows.day.indices.filter { rows.day[$0] >= 3 }.map { rows.user[$0] })
        let share = Double(shiftedUsers.count) / Double(usersAfter.count)
        var before: [Int64: Float] = [:]
        var changed = (shifted: 0, shiftedPairs: 0, unshifted: 0, unshiftedPairs: 0)
        for row in rows.day.indices where rows.day[row] < 3 {
            before[rows.pair(row)] = rows.truth[row]
        }
        for row in rows.day.indices where rows.day[row] >= 3 {
            guard let old = before[rows.pair(row)] else { continue }
            if shiftedUsers.contains(rows.user[row]) {
                changed.shiftedPairs += 1
                changed.shifted += old != rows.truth[row] ? 1 : 0
            } else {
                changed.unshiftedPairs += 1
                changed.unshifted += old != rows.truth[row] ? 1 : 0
            }
        }
        print("shifted users \(share); changed pairs: \(changed)")
        #expect(share > 0.25 && share < 0.35)
        #expect(changed.unshiftedPairs > 1_000 && changed.unshifted == 0)
        #expect(
            changed.shiftedPairs > 500
                && Double(changed.shifted) > 0.99 * Double(changed.shiftedPairs))
    }

    /// One item, no momentary intent: a user's click truth on a day is a function of that day's
    /// taste. With a random walk (ρ = 0.3) it correlates less over 10 days than over 1 and keeps
    /// its spread; without one it is the same every day.
    @Test func tasteDriftDecorrelatesOverLongerGaps() throws {
        let base = [
            "items": "1", "momentaryIntentSpread": "0", "dailyActivity": "0.95",
            "exposuresPerVisit": "1",
        ]
        func correlations(_ rho: String) throws -> (
            gap1: Double, gap10: Double, spreadRatio: Double
        ) {
            let world = try ScenarioKind.funnel.simulate(
                users: Self.users, days: 16, seed: 31,
                knobs: base.merging(["tasteDriftPerDay": rho]) { $1 })
            let rows = DriftRows(world, truth: "true_ctr")
            var byUserDay: [Int64: Double] = [:]
            for row in rows.day.indices {
                byUserDay[Int64(rows.user[row]) * 100 + rows.day[row]] = logit(
                    Double(rows.truth[row]))
            }
            func pairs(gap: Int64) -> (first: [Double], second: [Double]) {
                var first: [Double] = [], second: [Double] = []
                for user in 0..<Int64(Self.users) {
                    for day in 0..<(16 - gap) {
                        guard let a = byUserDay[user * 100 + day],
                            let b = byUserDay[user * 100 + day + gap]
                        else { continue }
                        first.append(a)
                        second.append(b)
                    }
                }
                return (first, second)
            }
            let one = pairs(gap: 1), ten = pairs(gap: 10), ends = pairs(gap: 15)
            return (
                DriftRows.correlation(one.first, one.second),
                DriftRows.correlation(ten.first, ten.second),
                DriftRows.variance(ends.second) / DriftRows.variance(ends.first)
            )
        }
        let drifting = try correlations("0.3"), still = try correlations("0")
        print("taste drift 0.3: \(drifting); none: \(still)")
        // Taste part: 0.954 after one day, 0.62 after ten; the user's clickiness does not drift.
        #expect(drifting.gap1 > 0.9 && drifting.gap10 < drifting.gap1 - 0.15)
        #expect(abs(drifting.spreadRatio - 1) < 0.15)
        #expect(still.gap1 > 0.9999 && still.gap10 > 0.9999)
    }
}
