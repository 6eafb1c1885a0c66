import Testing

@testable import FunnelData

/// `Batch.rows(_:)`: a data-parallel shard holds exactly its rows of every column, per-row
/// widths kept.
@Suite struct BatchRowsTests {
    @Test func everyColumnIsCutAlike() {
        var batch = Batch(rows: [10, 11, 12])
        batch.ids = ["user": [1, 2, 3]]
        batch.floats = ["click": [0, 1, 0]]
        batch.integers = ["time": [100, 200, 300]]
        batch.sequences = ["history": PaddedSequence(length: 2, ids: [1, 2, 3, 4, 5, 6], mask: [1, 1, 1, 0, 1, 1], paddingID: 9)]
        batch.timestampSequences = ["times": PaddedTimestamps(length: 2, values: [1, 2, 3, 4, 5, 6], mask: [1, 1, 1, 0, 1, 1])]
        batch.keys = ["user": [7, 8, 9]]
        batch.present = ["side": [1, 0, 1]]
        batch.negatives = ["item": [1, 2, 3, 4, 5, 6, 7, 8, 9]]
        let shard = batch.rows(1..<3)
        #expect(shard.rows == [11, 12] && shard.size == 2)
        #expect(shard.ids["user"] == [2, 3] && shard.floats["click"] == [1, 0] && shard.integers["time"] == [200, 300])
        #expect(shard.sequences["history"]?.ids == [3, 4, 5, 6] && shard.sequences["history"]?.mask == [1, 0, 1, 1])
        #expect(shard.timestampSequences["times"]?.values == [3, 4, 5, 6] && shard.timestampSequences["times"]?.length == 2)
        #expect(shard.keys["user"] == [8, 9] && shard.present["side"] == [0, 1])
        #expect(shard.negatives["item"] == [4, 5, 6, 7, 8, 9])
        #expect(batch.rows(0..<0).size == 0 && batch.rows(0..<0).negatives["item"] == [])
    }
}
