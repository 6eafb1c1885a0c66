import FunnelData
import FunnelNN
import FunnelTensor

/// Factorization machine (Rendle, "Factorization Machines", ICDM 2010), as torchfm's
/// `FactorizationMachineModel` that the D2Co and CWM experiments train (watchtime.md §0.3):
///
/// `logit = b + Σ_f w[f, id_f] + Σ_{i<j} ⟨e_i, e_j⟩`,
///
/// the pairwise term computed in O(F·k) as `½ Σ_k ((Σ_f e_fk)² − Σ_f e_fk²)`. Dense columns
/// enter the first-order term only; the pairwise term is over the categorical fields.
///
/// Shapes: a batch of `n` rows → embeddings `[n, fields, k]` → logits `[n]`.
public final class FactorizationMachineModel: Module, CTRBackbone {
    public let input: CTRFieldInput

    /// - Parameters:
    ///   - features: the categorical and dense columns (its label is not read).
    ///   - network: only `embeddingDimensions` is read (FM has no MLP and no attention).
    public init(
        dataset: Dataset, features: FeatureSelection, network: CTRNetworkConfiguration,
        generator: inout RandomGenerator
    ) throws {
        try network.validate()
        input = try CTRFieldInput(
            dataset: dataset, features: features, dimensions: network.embeddingDimensions, generator: &generator)
        super.init()
    }

    public var columns: Set<String> { input.columns }

    public func logits(_ batch: Batch) throws -> Tensor {
        let encoded = try input(batch)
        guard let embeddings = encoded.embeddings else { return encoded.firstOrder }
        return encoded.firstOrder + Self.pairwiseInteraction(embeddings)
    }

    /// The FM pairwise term `Σ_{i<j} ⟨e_i, e_j⟩ = ½ Σ_k ((Σ_f e_fk)² − Σ_f e_fk²)` of each row
    /// (torchfm's `FactorizationMachine(reduce_sum=True)`).
    ///
    /// Shapes: `[n, fields, k]` → `[n]`.
    public static func pairwiseInteraction(_ embeddings: Tensor) -> Tensor {
        precondition(embeddings.rank == 3, "Funnel: the FM term reads [rows, fields, dimensions], got \(embeddings.shape)")
        let sum = embeddings.sum(alongAxes: [1])
        let sumOfSquares = (embeddings * embeddings).sum(alongAxes: [1])
        return (sum * sum - sumOfSquares).sum(alongAxes: [1]) * 0.5
    }
}
