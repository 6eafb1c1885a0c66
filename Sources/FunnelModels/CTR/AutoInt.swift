import FunnelData
import FunnelNN
import FunnelTensor

/// AutoInt+ (Song, Shi, Xiao, Duan, Xu, Zhang, Tang, "AutoInt: Automatic Feature Interaction
/// Learning via Self-Attentive Neural Networks", CIKM 2019, arXiv 1810.11921), as torchfm's
/// `AutomaticFeatureInteractionModel` ("AFI") that the D2Co and CWM experiments train
/// (watchtime.md §0.3). Three logits add:
///
/// - the first-order term (``FirstOrderTerm``);
/// - the interacting layer: the field embeddings projected to the attention width
///   (`Linear(k → a)`), `attentionLayers` layers of multi-head self-attention over the fields
///   (no mask: every field attends to every field), plus a residual `Linear(k → a)` of the
///   embeddings, ReLU, flattened, `Linear(F·a → 1)`;
/// - an MLP over the flattened embeddings and the dense columns (hidden `[64]` by default, each
///   layer `Linear → BatchNorm → ReLU → Dropout`, then `Linear → 1`): the "+" of AutoInt+.
///
/// Each attention layer is PyTorch's `nn.MultiheadAttention` as torchfm uses it: query, key and
/// value projections with bias, softmax of the scaled dot products, dropout on the attention
/// weights (``CTRNetworkConfiguration/dropout``, the same probability as the MLP's: both are 0.2
/// in the papers' runs), an output projection. Layers are stacked without residual or
/// activation in between, as in torchfm. Dense columns enter the first-order term and the MLP,
/// not the attention.
///
/// Shapes: a batch of `n` rows → embeddings `[n, F, k]` → attention `[n, F, a]` →
/// `[n, F·a]` → logits `[n]`.
public final class AutomaticFeatureInteractionModel: Module, CTRBackbone {
    public let input: CTRFieldInput
    /// `[n, F, k]` → `[n, F, a]` (torchfm's `atten_embedding`).
    public let attentionEmbedding: Linear
    /// Self-attention over the fields, `[n, F, a]` → `[n, F, a]`; no mask is passed, so
    /// nothing is causal despite the layer's name.
    public let attentionLayers: [CausalSelfAttention]
    /// `[n, F, k]` → `[n, F, a]` (torchfm's `V_res_embedding`); `nil` without the residual.
    public let residual: Linear?
    /// `[n, F·a]` → `[n, 1]` (torchfm's `attn_fc`).
    public let attentionOutput: Linear
    /// `[n, F·k + dense]` → `[n, 1]`.
    public let tower: MLP

    /// - Parameters:
    ///   - features: the categorical and dense columns (its label is not read); at least one
    ///     categorical column, the fields attention runs over.
    ///   - network: the embedding width, the attention (`attentionDimensions`, `attentionHeads`,
    ///     `attentionLayers`, `attentionResidual`, `dropout`) and the MLP (`hiddenDimensions`,
    ///     `dropout`, `batchNorm`).
    public init(
        dataset: Dataset, features: FeatureSelection, network: CTRNetworkConfiguration,
        generator: inout RandomGenerator
    ) throws {
        try network.validate()
        input = try CTRFieldInput(
            dataset: dataset, features: features, dimensions: network.embeddingDimensions, generator: &generator)
        guard !input.categorical.isEmpty else {
            throw StrictJSON.Error(
                description: "AutoInt attends over categorical fields; the feature selection has none in dataset '\(dataset.schema.name)'")
        }
        let width = network.attentionDimensions
        attentionEmbedding = Linear(network.embeddingDimensions, width, generator: &generator)
        attentionLayers = (0..<network.attentionLayers).map { _ in
            CausalSelfAttention(
                dimensions: width, heads: network.attentionHeads, outputProjection: true, weightDropout: network.dropout,
                initializer: .fanInUniform, generator: &generator)
        }
        residual = network.attentionResidual ? Linear(network.embeddingDimensions, width, generator: &generator) : nil
        attentionOutput = Linear(input.categorical.count * width, 1, generator: &generator)
        tower = MLP(
            inputDimensions: input.flattenedWidth, hiddenDimensions: network.resolvedHiddenDimensions(for: .autoint),
            outputDimensions: 1, dropout: network.dropout, batchNorm: network.batchNorm, generator: &generator)
        super.init()
    }

    public var columns: Set<String> { input.columns }

    public func logits(_ batch: Batch) throws -> Tensor {
        let encoded = try input(batch)
        let embeddings = encoded.embeddings!  // the initializer refuses a selection without fields
        let interaction = interactingLayer(embeddings)
        return encoded.firstOrder + interaction + tower(encoded.flattened).reshaped([encoded.rows])
    }

    /// The attention logit of each row: `Linear(ReLU(attention(E·W) + E·V_res))`.
    ///
    /// Shapes: `[n, F, k]` → `[n]`.
    public func interactingLayer(_ embeddings: Tensor) -> Tensor {
        let rows = embeddings.shape[0]
        var attended = attentionEmbedding(embeddings)
        for layer in attentionLayers {
            attended = layer(queries: attended, keys: attended, mask: nil)
        }
        if let residual { attended = attended + residual(embeddings) }
        return attentionOutput(attended.relu().reshaped([rows, -1])).reshaped([rows])
    }
}
