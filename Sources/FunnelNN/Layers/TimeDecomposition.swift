/// How RoTE turns Unix timestamps into the time values of its rotation levels (Rotary Time
/// Embedding; sequential.md §2.1).
///
/// Every case maps `times` (`[batch · length]` seconds, row-major `[batch, length]`) to one
/// array of level values per level, each `[batch · length]`, in Double: angles reach 10⁴ radians
/// for day values since 1970, where Float32 would lose the fraction of a turn.
public enum TimeDecomposition: String, Sendable, Codable, CaseIterable, StrictEnum {
    /// RoTE-SASRec (`temporal_decomposition.py`): real-valued years, months and days counted
    /// from the Unix epoch, `days = ts / 86400`, `years = days / 365.25`,
    /// `months = days / 30.4375`. Padding positions carry `ts = 0`, hence 0 at every level.
    case approximate
    /// RoTE-RPG (`rote_mode: ymd`, `rpg/tokenizer.py`): integer UTC calendar ids,
    /// `year = Y − 1970`, `month = 12 (Y − 1970) + (M − 1)`, `day` = whole days since
    /// 1970-01-01 (`ts ≤ 0` gives 0 at every level), each made relative to the first real position
    /// of its row (`id − id[:, 0]` in RPG's right-padded windows), padding left at 0.
    case ymd
    /// `rote_mode: unix`: one level, the raw seconds relative to the first real position of the
    /// row (padding left at 0).
    case unix

    /// Seconds per day and the mean lengths of the approximate mode (Julian year, its twelfth).
    static let secondsPerDay = 86_400.0
    static let daysPerYear = 365.25
    static let daysPerMonth = 30.4375

    /// The number of levels: 3 (year, month, day), or 1 for ``unix``.
    public var levelCount: Int { self == .unix ? 1 : 3 }

    /// The level values of every position, coarsest level first.
    /// - Parameters:
    ///   - times: `[batch · length]` Unix seconds, row-major `[batch, length]`.
    ///   - batch, length: the window's shape.
    /// - Returns: ``levelCount`` arrays of `[batch · length]` values.
    public func levels(_ times: [Int64], batch: Int, length: Int) -> [[Double]] {
        precondition(
            times.count == batch * length,
            "Funnel: \(times.count) timestamps for a window of \(batch) × \(length)")
        switch self {
        case .approximate:
            let days = times.map { Double($0) / Self.secondsPerDay }
            return [days.map { $0 / Self.daysPerYear }, days.map { $0 / Self.daysPerMonth }, days]
        case .ymd:
            let identifiers = times.map(Self.calendarIdentifiers)
            return [
                Self.relative(identifiers.map(\.year), times: times, length: length),
                Self.relative(identifiers.map(\.month), times: times, length: length),
                Self.relative(identifiers.map(\.day), times: times, length: length),
            ]
        case .unix:
            return [Self.relative(times, times: times, length: length)]
        }
    }

    /// The exact UTC calendar ids of one timestamp (all 0 for `ts ≤ 0`, as the reference).
    public static func calendarIdentifiers(_ time: Int64) -> (year: Int64, month: Int64, day: Int64)
    {
        guard time > 0 else { return (0, 0, 0) }
        let day = time / 86_400
        let (year, month) = civilYearAndMonth(daysSinceEpoch: day)
        return (year - 1970, 12 * (year - 1970) + (month - 1), day)
    }

    /// The proleptic Gregorian year and month (1…12) of a day count since 1970-01-01, by whole
    /// 400-year eras of 146,097 days counted from 0000-03-01, so that the leap day ends a year.
    static func civilYearAndMonth(daysSinceEpoch: Int64) -> (year: Int64, month: Int64) {
        let shifted = daysSinceEpoch + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        // Months counted from March, each block of five months lasting 153 days.
        let marchMonth = (5 * dayOfYear + 2) / 153
        let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month)
    }

    /// Each row's values minus its first value.
    /// Each row's values minus the value at its first real position (the first with a positive
    /// timestamp: the oldest item, wherever the padding sits — RPG's windows are right-padded,
    /// left-padded SASRec windows start with padding); padded positions (`ts ≤ 0`) stay 0.
    private static func relative(_ values: [Int64], times: [Int64], length: Int) -> [Double] {
        var relative = [Double](repeating: 0, count: values.count)
        for start in stride(from: 0, to: values.count, by: Swift.max(length, 1)) {
            let row = start..<Swift.min(start + length, values.count)
            guard let first = row.first(where: { times[$0] > 0 }) else { continue }
            for index in row where times[index] > 0 { relative[index] = Double(values[index] - values[first]) }
        }
        return relative
    }
}
