import FunnelData

/// Everything a model reads from a dataset, declared once and used by training, evaluation,
/// prediction and experiments alike.
public struct DataRequirements: Sendable {
    /// The columns the batcher gathers (main-table names, side-table columns as
    /// `"side.column"`): features and labels.
    public var columns: Set<String>
    /// The fixed length of each id-list column it reads.
    public var sequences: [String: SequencePolicy]
    /// Which rows of a training split it learns from (`nil`: every row).
    public var rowSampler: RowSampler?
    /// Negatives drawn for every training row (`nil`: none).
    public var negativeSampling: NegativeSampling?

    public init(
        columns: Set<String>, sequences: [String: SequencePolicy] = [:], rowSampler: RowSampler? = nil,
        negativeSampling: NegativeSampling? = nil
    ) {
        self.columns = columns
        self.sequences = sequences
        self.rowSampler = rowSampler
        self.negativeSampling = negativeSampling
    }

    /// Refuses a dataset that lacks a required column, naming it.
    public func check(_ dataset: Dataset, model: String) throws {
        let needed = columns.union(rowSampler?.anyOf ?? []).union(negativeSampling.map { [$0.column] } ?? [])
        for column in needed.sorted() where dataset.schema.resolvedColumn(column) == nil {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: column, reason: "model '\(model)' needs it")
        }
    }
}

/// A training-row sampler: the rows where any of the named label columns is 1 (USD keeps the
/// exposures of the day's portal visitors, Eq. 1, and the rows its intent module learns from;
/// the adapter of entire-space.md §12 trains on portal visitors).
public struct RowSampler: Sendable, Equatable {
    public var anyOf: [String]

    public init(anyOf: [String]) {
        precondition(!anyOf.isEmpty, "Funnel: a row sampler needs a column")
        self.anyOf = anyOf
    }

    /// Whether each row of `split` is sampled.
    public func rows(in dataset: Dataset, split: String) throws -> [Bool] {
        var kept = try dataset.rows(split: split, where: anyOf[0])
        for column in anyOf.dropFirst() {
            for (row, value) in try dataset.rows(split: split, where: column).enumerated() where value { kept[row] = true }
        }
        return kept
    }

    /// How protocol lines name it.
    public var description: String {
        "rows with \(anyOf.joined(separator: " or ")) = 1"
    }
}
