import FunnelTensor

extension ContextualPositionEncoding {
    /// Scaled dot-product attention with CAPE's position logits added before the softmax
    /// (sequential.md §3.1 step 5; official code `attention.py`:
    /// `attn_output_weights += position(q, attn_output_weights)`):
    /// ```
    /// a  = q·kᵀ / √C + mask
    /// a' = a + E(q, a)
    /// out = dropout(softmax(a')) · v
    /// ```
    /// per batch row and head. It replaces the fused ``FunnelTensor/Tensor/attention(queries:keys:values:heads:mask:closedBelow:)``
    /// where a model uses CAPE; at initialisation (`table = 0`) it computes the same output. A
    /// query row whose keys the mask blocks all outputs 0 (its weights are 0), as the fused
    /// attention does with `closedBelow: MultiHeadAttention.blocked / 2`.
    /// - Parameters:
    ///   - queries: `[B, Lq, H·C]`, the heads side by side as a projection writes them.
    ///   - keys, values: `[B, Lk, H·C]`.
    ///   - heads: `H`; the head width `C` must be this encoding's ``headWidth``.
    ///   - mask: additive, broadcastable to `[B, H, Lq, Lk]`, 0 where a key is allowed and
    ///     ``MultiHeadAttention/blocked`` where not (a constant), or `nil`.
    ///   - dropout: inverted dropout of the attention weights (keep probability and mask key,
    ///     as ``FunnelTensor/Tensor/dropout(_:keep:key:)``; the fused attention drops the same
    ///     weights for the same key), or `nil`.
    /// - Returns: `[B, Lq, H·C]`.
    public func attention(
        queries: Tensor, keys: Tensor, values: Tensor, heads: Int, mask: Tensor?,
        dropout: (keep: Float, key: UInt64)? = nil
    ) -> Tensor {
        precondition(
            queries.rank == 3 && keys.rank == 3 && keys.shape == values.shape
                && queries.shape[0] == keys.shape[0]
                && queries.shape[2] == keys.shape[2] && heads > 0
                && queries.shape[2] == heads * headWidth,
            "Funnel: CAPE attention of queries \(queries.shape), keys \(keys.shape), values \(values.shape), \(heads) heads of width \(headWidth)"
        )
        let (batch, queryLength, keyLength) = (queries.shape[0], queries.shape[1], keys.shape[1])
        func perHead(_ x: Tensor, length: Int) -> Tensor {
            x.reshaped([batch, length, heads, headWidth]).permuted([0, 2, 1, 3])
        }
        let headQueries = perHead(queries, length: queryLength)
        var logits =
            Tensor.matmul(headQueries, perHead(keys, length: keyLength), transposeRight: true)
            * (1 / Float(headWidth).squareRoot())
        var open: Tensor?
        if let mask {
            let target = [batch, heads, queryLength, keyLength]
            precondition(
                mask.rank <= 4
                    && zip(mask.shape.reversed(), target.reversed()).allSatisfy {
                        $0 == 1 || $0 == $1
                    },
                "Funnel: attention mask \(mask.shape) does not broadcast to \(target)")
            logits = logits + mask.detached()
            open = withoutGradients { mask.detached() .> Tensor(MultiHeadAttention.blocked / 2) }
        }
        var weights = (logits + positionLogits(queries: headQueries, logits: logits, open: open))
            .softmax(alongAxis: -1)
        if let open, open.rank > 0 {
            weights = weights * open.max(alongAxes: [open.rank - 1], keepingDimensions: true)
        }
        if let dropout, dropout.keep < 1 { weights = Tensor.dropout(weights, keep: dropout.keep, key: dropout.key) }
        return Tensor.matmul(weights, perHead(values, length: keyLength)).permuted([0, 2, 1, 3])
            .reshaped([batch, queryLength, heads * headWidth])
    }
}
