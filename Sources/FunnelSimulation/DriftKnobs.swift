import Foundation

/// The drift knobs a world embeds (as its `drift` knob group) to change over time: a gradual
/// random walk of every user's taste, and one abrupt shift on `shiftDay` (some users redraw their
/// taste, new items enter, some items lose click appeal). ReLoop2 (adaptation.md §2) adapts a
/// CTR model to such shifts; these knobs make the shift a world's recorded ground truth.
///
/// Every mechanism is off by default (`tasteDriftPerDay` 0, `shiftDay` −1), and the drift draws
/// come from streams of their own, so a world with default knobs is the same, byte for byte, as
/// one simulated before drift existed. The share and size knobs act only when a shift is set.
/// `--knob shiftDay=8` names a drift knob like any other (``KnobParser`` looks inside groups).
public struct DriftKnobs: Codable, Sendable, Equatable {
    public var tasteDriftPerDay = 0.0
    public var shiftDay = -1
    public var shiftedUserShare = 0.3
    public var newItemShare = 0.1
    public var newItemBoost = 1.0
    public var collapsedItemShare = 0.1
    public var appealCollapse = 2.0

    public init() {}

    /// Whether any drift mechanism is on (then the worlds write the drift truth columns).
    public var isOn: Bool { tasteDriftPerDay > 0 || hasShift }

    /// Whether an abrupt shift happens.
    public var hasShift: Bool { shiftDay != -1 }

    /// Every drift knob, its default and why; each world appends these to its own table.
    public static let documentation: [(name: String, value: String, rationale: String)] = [
        ("tasteDriftPerDay", "0", "gradual taste drift: each day every user's latent taste takes the step taste ← √(1−ρ²)·taste + ρ·fresh (fresh ~ N(0, I)), which keeps its variance, so after k days it correlates (1−ρ²)^(k/2) with today's (ρ = 0.1: ≈ 0.95 after 10 days). 0 = off, the world as it was. No public figure for how fast tastes drift [assumed]: to be swept"),
        ("shiftDay", "-1", "the day of one abrupt shift (1 ≤ shiftDay < days), −1 = none. ReLoop2 replays the latest traffic in chronological parts (its production data: the latest 2 hours split into 12 parts; MicroVideo: 10 slots, adaptation.md §2.4) because a deployed model meets traffic newer than its training data; a shift on or just before the first evaluation day gives that setting. No default day: the paper reports no shift date [assumed]"),
        ("shiftedUserShare", "0.3", "with a shift: the share of users who redraw their taste from scratch on shiftDay (a season, a life event, a campaign). No figure in ReLoop2 [assumed]: a minority, large enough to be measured in simulation-sized worlds, not tuned to any method"),
        ("newItemShare", "0.1", "with a shift: the share of items that are new, never shown before shiftDay and shown from it on; their traits are drawn like any item's. No figure in ReLoop2 [assumed]; items unseen in training are the cold part of a shift"),
        ("newItemBoost", "1.0", "with a shift: logits added to a new item's exposure weight from shiftDay (a fresh-item push of the policy, e^1 ≈ 2.7× an old item of equal popularity) so that new items appear in the logs; it does not change their click appeal [assumed]"),
        ("collapsedItemShare", "0.1", "with a shift: the share of existing (not new) items whose click appeal collapses on shiftDay; the policy keeps showing them as before, so a model's stale belief about them is what is measured [assumed]"),
        ("appealCollapse", "2.0", "with a shift: logits the collapsed items lose on the click logit (odds × e^−2 ≈ 0.14: a 4 % CTR falls to ≈ 0.6 %); large enough to be measured, not tuned to any method [assumed]"),
    ]

    /// Refuses drift knobs that do not fit `days` days and `items` items, naming the knob.
    func validate(days: Int, items: Int, world: String) throws {
        func refuse(_ reason: String) -> KnobParser.KnobError {
            KnobParser.KnobError(description: "\(world): \(reason)")
        }
        guard tasteDriftPerDay >= 0, tasteDriftPerDay <= 1 else {
            throw refuse("tasteDriftPerDay must lie in [0, 1], found \(tasteDriftPerDay)")
        }
        guard !hasShift || (1..<days).contains(shiftDay) else {
            throw refuse("shiftDay must be -1 (no shift) or lie in 1..<days (1..<\(days)), found \(shiftDay)")
        }
        for (name, share) in [("shiftedUserShare", shiftedUserShare), ("collapsedItemShare", collapsedItemShare)] {
            guard share >= 0, share <= 1 else { throw refuse("\(name) must lie in [0, 1], found \(share)") }
        }
        // Some items must be left to show before the shift.
        guard newItemShare >= 0, newItemShare < 1 else {
            throw refuse("newItemShare must lie in [0, 1), found \(newItemShare)")
        }
        guard newItemShare + collapsedItemShare <= 1 else {
            throw refuse("newItemShare + collapsedItemShare must not exceed 1 (an item is new or collapsed, not both)")
        }
        guard appealCollapse >= 0 else { throw refuse("appealCollapse must be 0 or more, found \(appealCollapse)") }
        guard newItemBoost.isFinite else { throw refuse("newItemBoost must be finite") }
        guard !hasShift || Int(newItemShare * Double(items)) < items else {
            throw refuse("newItemShare leaves no item to show before shiftDay")
        }
    }

    /// What the drift knobs did and what the drift truth columns mean, for a schema's notes.
    var notes: String {
        var text = " Drift (the drift knobs): "
        text += tasteDriftPerDay > 0
            ? "each user's taste takes a daily random-walk step with tasteDriftPerDay = \(tasteDriftPerDay); "
            : "no gradual taste drift; "
        text += hasShift
            ? "an abrupt shift on day \(shiftDay): a share \(shiftedUserShare) of users redraw their taste, a share \(newItemShare) of the items are new (never shown before, exposure weight +\(newItemBoost) logits after), a share \(collapsedItemShare) of the other items lose \(appealCollapse) logits of click appeal. "
            : "no abrupt shift. "
        text += "Truth columns: after_shift (1 on days ≥ shiftDay, else 0) and shifted (1 when, on or after shiftDay, the exposure's user redrew their taste or its item is new or collapsed); the click truth is the probability on the day of the exposure, with that day's taste and appeal."
        return text
    }
}
