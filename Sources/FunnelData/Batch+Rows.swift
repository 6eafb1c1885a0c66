extension Batch {
    /// The rows `range` of the batch, every column cut alike (a data-parallel rank's shard of a
    /// global batch; id lists, timestamp lists and sampled negatives keep their per-row widths).
    public func rows(_ range: Range<Int>) -> Batch {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "Funnel: rows \(range) of a batch of \(size)")
        func cut<Value>(_ values: [Value]) -> [Value] {
            let width = size > 0 ? values.count / size : 0
            return Array(values[range.lowerBound * width..<range.upperBound * width])
        }
        var shard = Batch(rows: Array(rows[range]))
        shard.ids = ids.mapValues(cut)
        shard.floats = floats.mapValues(cut)
        shard.integers = integers.mapValues(cut)
        shard.sequences = sequences.mapValues { $0.rows(range) }
        shard.timestampSequences = timestampSequences.mapValues {
            PaddedTimestamps(length: $0.length, values: cut($0.values), mask: cut($0.mask))
        }
        shard.keys = keys.mapValues(cut)
        shard.present = present.mapValues(cut)
        shard.negatives = negatives.mapValues(cut)
        return shard
    }
}
