import FunnelData
import FunnelTensor

/// A batch's item histories as a sequential model reads them: the kept (most recent) items
/// either at the end of each row (left padding, the last item at position n − 1: original
/// SASRec) or at its start (right padding: RecBole), padding elsewhere — laid out by the
/// batcher from the model's ``SequencePolicy``.
///
/// Shapes: `ids` and `mask` `[rows, length]` row-major; `counts` `[rows]`.
public struct SequenceInput: Sendable {
    public let rows: Int
    public let length: Int
    /// Item ids, the padding id at padded positions.
    public let ids: [Int32]
    /// 1 at real items, 0 at padding.
    public let mask: [Float]
    /// The real items of each row.
    public let counts: [Int]
    public let padsLeft: Bool
    /// The id at padded positions.
    public let paddingID: Int32
    /// The items' timestamps laid out as the ids (0 at padding), when read.
    public var times: [Int64]?

    /// Reads a batch whose history (and timestamps) the batcher padded as the model's
    /// ``SequencePolicy`` asks (`.leading` when `padsLeft`).
    /// - Parameter times: the timestamp-list column of the items' times, or `nil`.
    /// - Throws: when a column is missing or its padding is not on the side `padsLeft` names.
    public init(batch: Batch, column: String, times: String? = nil, padsLeft: Bool) throws {
        guard let sequence = batch.sequences[column] else {
            throw DataError.missingRequirement(dataset: "batch", column: column, reason: "a sequential model's item history")
        }
        let length = sequence.length
        let rows = length > 0 ? sequence.ids.count / length : 0
        var counts = [Int](repeating: 0, count: rows)
        for row in 0..<rows {
            let count = sequence.mask[(row * length)..<((row + 1) * length)].reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
            let start = padsLeft ? length - count : 0
            guard (start..<(start + count)).allSatisfy({ sequence.mask[row * length + $0] > 0 }) else {
                throw DataError.missingRequirement(
                    dataset: "batch", column: column,
                    reason: "a history padded \(padsLeft ? "before" : "after") its items (SequencePolicy padding \(padsLeft ? "leading" : "trailing"))")
            }
            counts[row] = count
        }
        self.init(
            rows: rows, length: length, ids: sequence.ids, mask: sequence.mask, counts: counts, padsLeft: padsLeft,
            paddingID: sequence.paddingID)
        if let times {
            guard let stamps = batch.timestampSequences[times], stamps.length == length, stamps.mask == sequence.mask else {
                throw DataError.missingRequirement(
                    dataset: "batch", column: times, reason: "the timestamps of '\(column)', a timestamp list padded as it")
            }
            self.times = stamps.values
        }
    }

    public init(rows: Int, length: Int, ids: [Int32], mask: [Float], counts: [Int], padsLeft: Bool, paddingID: Int32) {
        precondition(ids.count == rows * length && mask.count == ids.count && counts.count == rows, "Funnel: a sequence input of \(rows) × \(length)")
        (self.rows, self.length, self.ids, self.mask, self.counts, self.padsLeft, self.paddingID) =
            (rows, length, ids, mask, counts, padsLeft, paddingID)
    }

    /// The flat index (`row · length + position`) of each row's most recent item.
    public var lastPositions: [Int32] {
        counts.enumerated().map { row, count in
            Int32(row * length + (padsLeft ? length - 1 : Swift.max(count - 1, 0)))
        }
    }

    /// The positions that have a next item, with it: position t of a row predicts the row's
    /// item t + 1, its last real position predicts `finalTargets[row]` (sequential.md §1.1).
    public func trainingSteps(finalTargets: [Int32]) -> (positions: [Int32], targets: [Int32]) {
        var positions: [Int32] = []
        var targets: [Int32] = []
        positions.reserveCapacity(counts.reduce(0, +))
        targets.reserveCapacity(positions.capacity)
        for row in 0..<rows where counts[row] > 0 {
            let start = row * length + (padsLeft ? length - counts[row] : 0)
            for offset in 0..<counts[row] {
                positions.append(Int32(start + offset))
                targets.append(offset + 1 < counts[row] ? ids[start + offset + 1] : finalTargets[row])
            }
        }
        return (positions, targets)
    }

    /// Per step of ``trainingSteps(finalTargets:)``, the row's items and its final target: the
    /// items a BCE negative is never drawn from. The steps of a row share one set.
    public func seenItems(finalTargets: [Int32]) -> [Set<Int32>] {
        var seen: [Set<Int32>] = []
        seen.reserveCapacity(counts.reduce(0, +))
        for row in 0..<rows where counts[row] > 0 {
            let start = row * length + (padsLeft ? length - counts[row] : 0)
            let items = Set(ids[start..<(start + counts[row])]).union([finalTargets[row]])
            seen.append(contentsOf: repeatElement(items, count: counts[row]))
        }
        return seen
    }
}
