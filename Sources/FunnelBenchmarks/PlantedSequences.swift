import FunnelData
import FunnelTensor

/// The planted sequence process of `torch_sasrec.py`, drawn in Swift from a seeded
/// ``RandomGenerator`` (the same distribution, not the same draws as numpy's): item popularity
/// is Zipf (p(i) ∝ 1/i over items 1 ... N); a sequence starts at a popular item, and each next
/// item is, with probability `follow`, one of the current item's 5 fixed successors (uniform
/// ids drawn once per process), else a popularity-sampled item.
///
/// Shapes: `items` `[count, length + 1]` row-major, ids 1 ... N (0 is never drawn): a row's
/// first `length` items are the history, the last is the held-out next item.
public struct PlantedSequences: Sendable {
    public let itemCount: Int
    /// The items of each row's history (the row holds `length + 1` items).
    public let length: Int
    public let count: Int
    public let items: [Int32]

    /// The process's parameters, shared by the training and held-out draws.
    public struct Process: Sendable {
        public let itemCount: Int
        public let follow: Double
        /// `[itemCount + 1, 5]`: row i holds item i's successors (row 0 unused).
        let successors: [Int32]
        /// Cumulative Zipf probabilities of items 1 ... N.
        let cumulative: [Double]

        public init(itemCount: Int, follow: Double = 0.7, generator: inout RandomGenerator) {
            self.itemCount = itemCount
            self.follow = follow
            var total = 0.0
            var cumulative = [Double](repeating: 0, count: itemCount)
            for rank in 1...itemCount {
                total += 1 / Double(rank)
                cumulative[rank - 1] = total
            }
            self.cumulative = cumulative.map { $0 / total }
            successors = [0, 0, 0, 0, 0] + (0..<(5 * itemCount)).map { _ in Int32(1 + generator.next() % UInt64(itemCount)) }
        }

        /// An item drawn by popularity (inverse of the cumulative distribution).
        func popular(_ generator: inout RandomGenerator) -> Int32 {
            let uniform = Double(generator.next() >> 11) * 0x1p-53
            var low = 0
            var high = itemCount - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] <= uniform { low = middle + 1 } else { high = middle }
            }
            return Int32(low + 1)
        }

        /// `count` sequences of `length + 1` items.
        public func draw(count: Int, length: Int, generator: inout RandomGenerator) -> PlantedSequences {
            var items = [Int32](repeating: 0, count: count * (length + 1))
            for row in 0..<count {
                var current = popular(&generator)
                items[row * (length + 1)] = current
                for position in 1...length {
                    let uniform = Double(generator.next() >> 11) * 0x1p-53
                    current = uniform < follow
                        ? successors[Int(current) * 5 + Int(generator.next() % 5)] : popular(&generator)
                    items[row * (length + 1) + position] = current
                }
            }
            return PlantedSequences(itemCount: itemCount, length: length, count: count, items: items)
        }
    }

    /// Rows `range` as a SASRec batch: `sequences["items"]` the first `length` items of each row
    /// (no padding: every row is full), `ids["target"]` the last.
    public func batch(_ range: Range<Int>, paddingID: Int32) -> Batch {
        var batch = Batch(rows: range.map(Int32.init))
        var history = [Int32]()
        history.reserveCapacity(range.count * length)
        var targets = [Int32]()
        targets.reserveCapacity(range.count)
        for row in range {
            let start = row * (length + 1)
            history.append(contentsOf: items[start..<(start + length)])
            targets.append(items[start + length])
        }
        batch.sequences["items"] = PaddedSequence(
            length: length, ids: history, mask: [Float](repeating: 1, count: history.count), paddingID: paddingID)
        batch.ids["target"] = targets
        return batch
    }
}
