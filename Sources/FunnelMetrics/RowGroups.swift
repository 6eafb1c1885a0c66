/// Row indices gathered by group (user, or user and day), groups in order of first appearance.
///
/// The grouped metrics turn their keys into dense group numbers with
/// ``identifiers(of:)`` (generic, specialised at the caller) and then work on those numbers.
@usableFromInline
struct RowGroups {
    /// Every row index, group by group; within a group rows keep their input order.
    let rows: [Int]
    /// Group `g` holds `rows[offsets[g] ..< offsets[g + 1]]`.
    let offsets: [Int]

    /// The number of groups.
    var count: Int { offsets.count - 1 }

    /// The row indices of group `group`, in input order.
    subscript(group: Int) -> ArraySlice<Int> { rows[offsets[group]..<offsets[group + 1]] }

    /// Dense group numbers `0 ..< groupCount` for each row, numbered by first appearance.
    @inlinable
    static func identifiers<Key: Hashable>(of keys: [Key]) -> [Int] {
        var numbers: [Key: Int] = [:]
        numbers.reserveCapacity(keys.count / 4)
        return keys.map { key in
            if let number = numbers[key] { return number }
            let number = numbers.count
            numbers[key] = number
            return number
        }
    }

    /// Gathers rows by their dense group numbers with one counting pass.
    init(identifiers: [Int]) {
        let groupCount = (identifiers.max() ?? -1) + 1
        var offsets = [Int](repeating: 0, count: groupCount + 1)
        for group in identifiers { offsets[group + 1] += 1 }
        for group in 0..<groupCount { offsets[group + 1] += offsets[group] }
        var next = Array(offsets.dropLast())
        var rows = [Int](repeating: 0, count: identifiers.count)
        for (row, group) in identifiers.enumerated() {
            rows[next[group]] = row
            next[group] += 1
        }
        self.rows = rows
        self.offsets = offsets
    }
}
