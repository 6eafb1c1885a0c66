/// Reads the date-time texts of source files (`2019-11-24 00:03:13.442536+00:00`,
/// `2022-04-10`) as whole seconds or days since the Unix epoch, without a calendar library.
enum UTCTimestamp {
    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The day number of a `YYYY-MM-DD` field.
    static func day(_ row: SourceRow, _ index: Int) throws -> Int64 {
        let text = Array(row.text(index).utf8)
        guard text.count == 10, let day = date(text) else {
            throw row.failure(index, expected: "a date YYYY-MM-DD")
        }
        return Int64(day)
    }

    /// The Unix seconds of a `YYYY-MM-DD HH:MM:SS[.ffffff][+00:00|Z]` field (UTC only; the
    /// fraction is dropped).
    static func seconds(_ row: SourceRow, _ index: Int) throws -> Int64 {
        let text = Array(row.text(index).utf8)
        let failure = row.failure(
            index, expected: "a UTC time YYYY-MM-DD HH:MM:SS[.ffffff][+00:00]")
        guard text.count >= 19, text[10] == 0x20 || text[10] == 0x54, let day = date(text),
            text[13] == 0x3A, text[16] == 0x3A,
            let hour = number(text[11..<13]), let minute = number(text[14..<16]),
            let second = number(text[17..<19]),
            hour < 24, minute < 60, second < 61
        else { throw failure }
        var rest = text[19...]
        if rest.first == 0x2E {  // a fraction
            rest = rest.dropFirst()
            guard let digit = rest.first, digit &- 0x30 < 10 else { throw failure }
            while let digit = rest.first, digit &- 0x30 < 10 { rest = rest.dropFirst() }
        }
        guard rest.isEmpty || Array(rest) == Array("+00:00".utf8) || Array(rest) == Array("Z".utf8)
        else {
            throw failure
        }
        return Int64(day) * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
    }

    private static func date(_ text: [UInt8]) -> Int? {
        guard text.count >= 10, text[4] == 0x2D, text[7] == 0x2D,
            let year = number(text[0..<4]), let month = number(text[5..<7]),
            let day = number(text[8..<10]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return days(year: year, month: month, day: day)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for digit in digits {
            guard digit &- 0x30 < 10 else { return nil }
            value = value * 10 + Int(digit &- 0x30)
        }
        return value
    }
}
