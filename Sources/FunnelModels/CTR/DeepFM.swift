import FunnelData
import FunnelNN
import FunnelTensor

/// DeepFM (Guo, Tang, Ye, Li, He, "DeepFM: A Factorization-Machine based Neural Network for
/// CTR Prediction", IJCAI 2017, arXiv 1703.04247), as torchfm's `DeepFactorizationMachineModel`
/// that the D2Co experiments train (watchtime.md §0.3): the FM and an MLP share the field
/// embeddings and their logits add,
///
/// `logit = b + Σ_f w[f, id_f] + Σ_{i<j} ⟨e_i, e_j⟩ + MLP([e_1 … e_F, dense])`,
///
/// the MLP's hidden layers each `Linear → BatchNorm → ReLU → Dropout` (64-64-64, dropout 0.2 by
/// default), then `Linear → 1`. Dense columns enter the first-order term and the MLP; the FM
/// term is over the categorical fields.
///
/// Shapes: a batch of `n` rows → embeddings `[n, fields, k]` → MLP input
/// `[n, fields·k + dense]` → logits `[n]`.
public final class DeepFM: Module, CTRBackbone {
    public let input: CTRFieldInput
    /// `[n, fields·k + dense]` → `[n, 1]`.
    public let tower: MLP

    /// - Parameters:
    ///   - features: the categorical and dense columns (its label is not read).
    ///   - network: the embedding width and the MLP (`hiddenDimensions`, `dropout`, `batchNorm`).
    public init(
        dataset: Dataset, features: FeatureSelection, network: CTRNetworkConfiguration,
        generator: inout RandomGenerator
    ) throws {
        try network.validate()
        input = try CTRFieldInput(
            dataset: dataset, features: features, dimensions: network.embeddingDimensions, generator: &generator)
        tower = MLP(
            inputDimensions: input.flattenedWidth, hiddenDimensions: network.resolvedHiddenDimensions(for: .deepfm),
            outputDimensions: 1, dropout: network.dropout, batchNorm: network.batchNorm, generator: &generator)
        super.init()
    }

    public var columns: Set<String> { input.columns }

    public func logits(_ batch: Batch) throws -> Tensor {
        let encoded = try input(batch)
        var logits = encoded.firstOrder
        if let embeddings = encoded.embeddings {
            logits = logits + FactorizationMachineModel.pairwiseInteraction(embeddings)
        }
        return logits + tower(encoded.flattened).reshaped([encoded.rows])
    }
}
