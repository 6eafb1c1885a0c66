/// The collision digit of TIGER (sequential.md §4.1 alternative): items sharing a code tuple
/// get one more code 0, 1, 2, … in item-id order, so every item's tuple is unique.
public enum CollisionDigit {
    /// `codes[r]` is item `r + 1`'s tuple. Returns each tuple with the extra digit appended,
    /// the digit's size (the largest group of equal tuples: max collisions + 1), and how many
    /// items shared their tuple with an earlier item before the digit was added.
    public static func append(to codes: [[Int32]]) -> (codes: [[Int32]], size: Int, collisions: Int) {
        var seen: [[Int32]: Int32] = [:]
        var extended = codes
        var collisions = 0
        var size = 1
        for index in codes.indices {
            let next = seen[codes[index], default: 0]
            if next > 0 { collisions += 1 }
            seen[codes[index]] = next + 1
            extended[index].append(next)
            size = max(size, Int(next) + 1)
        }
        return (extended, size, collisions)
    }

    /// How many items share their tuple with an earlier item.
    public static func collisions(in codes: [[Int32]]) -> Int {
        var seen = Set<[Int32]>()
        return codes.reduce(0) { $0 + (seen.insert($1).inserted ? 0 : 1) }
    }
}
