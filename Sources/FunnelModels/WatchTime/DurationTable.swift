/// Values kept per whole-second duration, looked up by the nearest duration that has one.
///
/// Watch-time labels fitted on the training split (D2Co's mixtures, WTG's moments) hold one
/// entry per duration seen there; a later split may show a duration the training split did
/// not, or one too rare to fit. Such a duration takes the entry of the nearest fitted duration
/// (the shorter on a tie) — watchtime.md §1.4 [ASSUMED]: the reference would fail on the lookup.
public struct DurationTable<Value: Sendable>: Sendable {
    /// Fitted durations in seconds, ascending.
    public let durations: [Int]
    public let values: [Value]

    /// - Parameter entries: `(duration, value)` pairs with distinct durations, any order; at
    ///   least one.
    public init(_ entries: [(duration: Int, value: Value)]) {
        precondition(!entries.isEmpty, "Funnel: a duration table needs an entry")
        let sorted = entries.sorted { $0.duration < $1.duration }
        durations = sorted.map(\.duration)
        values = sorted.map(\.value)
    }

    /// The entry of `duration` rounded to whole seconds, or of the nearest fitted duration.
    public subscript(duration: Float) -> Value {
        values[index(of: Int(duration.rounded()))]
    }

    /// The position of the nearest fitted duration (the shorter on a tie).
    public func index(of duration: Int) -> Int {
        var low = 0
        var high = durations.count
        while low < high {
            let middle = (low + high) / 2
            if durations[middle] < duration { low = middle + 1 } else { high = middle }
        }
        if low == durations.count { return durations.count - 1 }
        if low == 0 || durations[low] == duration { return low }
        return duration - durations[low - 1] <= durations[low] - duration ? low - 1 : low
    }
}

/// Rows grouped by whole-second duration: the index of each group's rows, ascending by
/// duration.
struct DurationGroups {
    let durations: [Int]
    let rows: [[Int]]

    init(durations values: [Float]) {
        var groups: [Int: [Int]] = [:]
        for (row, duration) in values.enumerated() { groups[Int(duration.rounded()), default: []].append(row) }
        durations = groups.keys.sorted()
        rows = durations.map { groups[$0]! }
    }
}
