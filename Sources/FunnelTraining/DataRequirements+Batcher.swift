import FunnelData
import FunnelModels

extension DataRequirements {
    /// The batcher of a model's batches over `split`: its columns (plus `extraColumns`), its
    /// sequence lengths, only the rows `rows` keeps, and its sampled negatives when `training`.
    /// Training, evaluation and prediction all cut batches here.
    func batcher(
        dataset: Dataset, split: String, batchSize: Int, training: Bool, seed: UInt64 = 0, rows: [Bool]? = nil,
        extraColumns: Set<String> = []
    ) throws -> Batcher {
        var filter: Batcher.RowFilter?
        if let rows { filter = { row, _, _ in rows[row] } }
        return try Batcher(
            dataset: dataset, split: split, batchSize: batchSize, shuffle: training, seed: seed,
            columns: columns.union(extraColumns), sequences: sequences, filter: filter,
            negativeSampling: training ? negativeSampling : nil)
    }

    /// The training rows of `split`: the sampler's, less the carved-off validation rows
    /// (`nil`: every row).
    func trainingRows(dataset: Dataset, split: String, excluding validation: [Bool]?) throws -> [Bool]? {
        var kept = try rowSampler?.rows(in: dataset, split: split)
        if let validation {
            kept = (kept ?? Array(repeating: true, count: validation.count)).enumerated().map { $1 && !validation[$0] }
        }
        return kept
    }
}
