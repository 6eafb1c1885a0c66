import FunnelTensor

/// Multi-head target attention as FuxiCTR's `MultiHeadTargetAttention` (reference code
/// `reczoo/FuxiCTR`, used by `model_zoo/ETA`; ETA: Chen et al., arXiv 2108.04468;
/// entire-space.md §9.1): the target item queries a behaviour sequence.
///
/// `q = W_q t`, `K = W_k E`, `V = W_v E` without biases, split into `h` heads of
/// `d_h = attentionDimensions / h`; scores `q·k_j / √d_h`, padded positions set to
/// ``MultiHeadAttention/blocked``, softmax over positions, heads concatenated, `W_o` back to `d`.
///
/// Shapes: target `[n, d]`, keys `[n, k, d]`, valid `[n, k]` (1 valid, 0 padding) → `[n, d]`.
/// A row without any valid key outputs exactly 0, and its keys receive no gradient.
public final class TargetAttention: Module {
    /// The projections: `queryProjection` (`W_q`), `keyProjection`, `valueProjection` and
    /// `outputProjection` (`W_o`), all without bias.
    public let attention: MultiHeadAttention

    /// - Parameters:
    ///   - dimensions: `d`, the width of the target and of the keys (and of the output).
    ///   - attentionDimensions: the width of the projected queries, keys and values (64 by
    ///     default, FuxiCTR's ETA configuration).
    ///   - numHeads: `h` (2 by default, FuxiCTR's ETA configuration); must divide
    ///     `attentionDimensions`.
    public init(dimensions: Int, attentionDimensions: Int = 64, numHeads: Int = 2, generator: inout RandomGenerator) {
        attention = MultiHeadAttention(
            dimensions: attentionDimensions, numHeads: numHeads, queryInputDimensions: dimensions,
            keyInputDimensions: dimensions, valueInputDimensions: dimensions, outputDimensions: dimensions,
            bias: false, generator: &generator)
        super.init()
    }

    /// `d`.
    public var dimensions: Int { attention.outputProjection.outputDimensions }
    /// The width of the projected queries, keys and values.
    public var attentionDimensions: Int { attention.queryProjection.outputDimensions }
    /// `h`.
    public var numHeads: Int { attention.numHeads }

    /// The attended representation of each row's keys (see the type's documentation for shapes);
    /// without `valid`, every key counts.
    public func callAsFunction(target: Tensor, keys: Tensor, valid: Tensor? = nil) -> Tensor {
        precondition(
            target.rank == 2 && keys.rank == 3 && target.shape[0] == keys.shape[0]
                && target.shape[1] == dimensions && keys.shape[2] == dimensions
                && (valid == nil || valid!.shape == Array(keys.shape.prefix(2))),
            "Funnel: target attention of target \(target.shape), keys \(keys.shape), valid \(valid?.shape ?? []), d = \(dimensions)")
        let rows = target.shape[0]
        let attended = attention(
            queries: target.reshaped([rows, 1, dimensions]), keys: keys, values: keys,
            mask: valid.map { MultiHeadAttention.keyPaddingMask($0) })
        return attended.reshaped([rows, dimensions])
    }

    /// ETA's long-interest vector: the `retrieval`'s selection from `behaviours`, attended to
    /// by the target (entire-space.md §9.1). Shapes: target `[n, d]`, behaviours `[n, L, d]`,
    /// valid `[n, L]` → `[n, d]`.
    public func callAsFunction(
        target: Tensor, behaviours: Tensor, valid: Tensor, retrieval: SimHashRetrieval
    ) -> Tensor {
        let retrieved = retrieval(target: target, behaviours: behaviours, valid: valid)
        return self(target: target, keys: retrieved.embeddings, valid: retrieved.valid)
    }
}
