/// An item (or, inside a beam search, a trie node) with its decoding score.
///
/// Every decoder ranks by ``ranksBefore(_:_:)``: higher score first, ties broken by the smaller
/// id, and a NaN score ranked as −∞, so the order is total and deterministic (sequential.md §4.5).
public struct ScoredItem: Sendable, Equatable, CustomStringConvertible {
    /// The item id (1 … N), or a trie node index while a beam search runs.
    public var item: Int
    /// The score: the mean per-digit log-probability `S(i)` of sequential.md §4.5.
    public var score: Float

    public init(item: Int, score: Float) {
        self.item = item
        self.score = score
    }

    /// Whether `first` ranks above `second`: a higher score, or an equal score and a smaller id.
    @inlinable public static func ranksBefore(_ first: ScoredItem, _ second: ScoredItem) -> Bool {
        let firstScore = first.score.isNaN ? -Float.infinity : first.score
        let secondScore = second.score.isNaN ? -Float.infinity : second.score
        if firstScore != secondScore { return firstScore > secondScore }
        return first.item < second.item
    }

    public var description: String { "\(item): \(score)" }
}

/// The best `capacity` of a stream of scored ids under ``ScoredItem/ranksBefore(_:_:)``: a heap
/// whose root is the worst kept entry, so a candidate costs one comparison once the heap is full.
struct TopSelection {
    let capacity: Int
    private(set) var heap: [ScoredItem] = []

    init(capacity: Int) {
        precondition(capacity >= 0, "Funnel: a selection keeps a non-negative count")
        self.capacity = capacity
        heap.reserveCapacity(Swift.min(capacity, 1 << 16))
    }

    /// The worst entry kept so far, once `capacity` entries are held (the bar a candidate must pass).
    var threshold: ScoredItem? { heap.count == capacity ? heap.first : nil }

    mutating func insert(_ candidate: ScoredItem) {
        if heap.count < capacity {
            heap.append(candidate)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                // The root holds the worst entry: a child that ranks below its parent moves up.
                guard ScoredItem.ranksBefore(heap[parent], heap[child]) else { break }
                heap.swapAt(parent, child)
                child = parent
            }
        } else if capacity > 0, ScoredItem.ranksBefore(candidate, heap[0]) {
            heap[0] = candidate
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var worst = parent
                if left < heap.count, ScoredItem.ranksBefore(heap[worst], heap[left]) {
                    worst = left
                }
                if right < heap.count, ScoredItem.ranksBefore(heap[worst], heap[right]) {
                    worst = right
                }
                if worst == parent { break }
                heap.swapAt(parent, worst)
                parent = worst
            }
        }
    }

    /// The score a candidate must beat once the selection is full, when candidates arrive in
    /// ascending id order (an equal score then never displaces a kept entry); −∞ before that,
    /// and a kept NaN counts as −∞. Callers test `!(score > bar)` inline to skip the call.
    var ascendingBar: Float? {
        guard heap.count == capacity, let worst = heap.first else { return nil }
        return worst.score.isNaN ? -.infinity : worst.score
    }

    /// The kept entries, best first.
    func sorted() -> [ScoredItem] { heap.sorted(by: ScoredItem.ranksBefore) }
}
