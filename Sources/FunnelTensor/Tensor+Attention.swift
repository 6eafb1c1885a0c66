import CFunnelKernels

extension Tensor {
    /// Scaled dot-product attention over heads as one primitive (Vaswani et al., NeurIPS 2017,
    /// arXiv 1706.03762, eq. 1): per batch row and head, `softmax(q·kᵀ·scale + mask)·v`.
    ///
    /// The heads sit side by side in the last axis, as a projection writes them, so no
    /// transposes are made; the weights are kept for the backward pass, which computes the three
    /// gradients in one pass per head. Profiles of USD showed the unfused form (two batched
    /// products, the scale, the mask, the softmax and four head transposes each way) as the
    /// largest part of a step.
    ///
    /// Values may be narrower or wider than queries and keys (width `ev`), and `valueGroups`
    /// consecutive query heads may share one value head, as Differential Transformer's two maps
    /// per head do (Ye et al., arXiv 2410.05258; sequential.md §4.3): query head `h` reads value
    /// head `h / valueGroups`, and the value gradient sums over the heads sharing it, in head
    /// order on one thread.
    ///
    /// - Parameters:
    ///   - queries: `[B, Lq, heads·e]`.
    ///   - keys: `[B, Lk, heads·e]`.
    ///   - values: `[B, Lk, (heads / valueGroups)·ev]`.
    ///   - heads: how many query (and key) heads split the last axis.
    ///   - valueGroups: how many consecutive query heads share a value head (divides `heads`).
    ///   - mask: additive scores broadcastable to `[B, heads, Lq, Lk]` (a constant: it gets no
    ///     gradient), or `nil`.
    ///   - closedBelow: a query row whose mask entries are all at or below this value has no
    ///     key to attend to and gets weights 0 (and output 0) instead of a uniform average.
    ///   - dropout: drops attention weights after the softmax (inverted dropout keeping each with
    ///     probability `keep`, the mask a hash of `key` and the weight's index as in
    ///     ``dropout(_:keep:key:)``, recomputed in the backward pass); `nil`: none.
    /// - Returns: `[B, Lq, heads·ev]`.
    public static func attention(
        queries: Tensor, keys: Tensor, values: Tensor, heads: Int, valueGroups: Int = 1, mask: Tensor? = nil,
        closedBelow: Float = -.infinity, dropout: (keep: Float, key: UInt64)? = nil
    ) -> Tensor {
        precondition(
            queries.rank == 3 && keys.rank == 3 && values.rank == 3 && queries.shape[0] == keys.shape[0]
                && keys.shape[0] == values.shape[0] && keys.shape[1] == values.shape[1]
                && queries.shape[2] == keys.shape[2] && heads > 0 && queries.shape[2] % heads == 0
                && valueGroups > 0 && heads % valueGroups == 0 && values.shape[2] % (heads / valueGroups) == 0,
            "Funnel: attention of queries \(queries.shape), keys \(keys.shape), values \(values.shape), \(heads) heads"
                + " in groups of \(valueGroups)")
        let (batch, queryLength, keyLength) = (queries.shape[0], queries.shape[1], keys.shape[1])
        let headWidth = queries.shape[2] / heads
        let valueWidth = values.shape[2] / (heads / valueGroups)
        let shape = attentionShape(
            batch: batch, heads: heads, lengths: (queryLength, keyLength), widths: (headWidth, valueWidth),
            valueGroups: valueGroups, mask: mask, closedBelow: closedBelow, dropout: dropout)
        let weights = Tensor.uninitialized([batch, heads, queryLength, keyLength])
        let output = Tensor.uninitialized([batch, queryLength, heads * valueWidth])
        let maskPointer = mask.map { UnsafePointer($0.storage.pointer) }
        withUnsafePointer(to: shape) { shapePointer in
            funnel_attention(
                shapePointer, queries.storage.pointer, keys.storage.pointer, values.storage.pointer, maskPointer,
                weights.storage.pointer, output.storage.pointer)
        }
        return result(output, inputs: [queries, keys, values]) { gradient in
            let (queryGradient, keyGradient, valueGradient) =
                (Tensor.uninitialized(queries.shape), Tensor.uninitialized(keys.shape), Tensor.uninitialized(values.shape))
            withUnsafePointer(to: shape) { shapePointer in
                funnel_attention_backward(
                    shapePointer, queries.storage.pointer, keys.storage.pointer, values.storage.pointer,
                    weights.storage.pointer, gradient.storage.pointer, queryGradient.storage.pointer,
                    keyGradient.storage.pointer, valueGradient.storage.pointer)
            }
            return [queryGradient, keyGradient, valueGradient]
        }
    }

    /// Self-attention over one projection's output holding the queries, keys and values side by
    /// side (`[q | k | v]` along the last axis), read and differentiated in place: the three
    /// projections become one GEMM with one input gradient, and no column block is copied.
    /// Otherwise as ``attention(queries:keys:values:heads:valueGroups:mask:closedBelow:dropout:)``
    /// with `queries`, `keys` and `values` the three blocks.
    ///
    /// Shapes: packed `[B, L, 3·heads·e]` → `[B, L, heads·e]`.
    public static func attention(
        packed: Tensor, heads: Int, mask: Tensor? = nil, closedBelow: Float = -.infinity,
        dropout: (keep: Float, key: UInt64)? = nil
    ) -> Tensor {
        precondition(
            packed.rank == 3 && heads > 0 && packed.shape[2] % (3 * heads) == 0,
            "Funnel: packed attention of \(packed.shape) over \(heads) heads")
        let (batch, length, width) = (packed.shape[0], packed.shape[1], packed.shape[2] / 3)
        var shape = attentionShape(
            batch: batch, heads: heads, lengths: (length, length), widths: (width / heads, width / heads),
            valueGroups: 1, mask: mask, closedBelow: closedBelow, dropout: dropout)
        shape.packed_row = 3 * width
        let weights = Tensor.uninitialized([batch, heads, length, length])
        let output = Tensor.uninitialized([batch, length, width])
        let maskPointer = mask.map { UnsafePointer($0.storage.pointer) }
        let base = packed.storage.pointer
        withUnsafePointer(to: shape) { shapePointer in
            funnel_attention(
                shapePointer, base, base + width, base + 2 * width, maskPointer, weights.storage.pointer,
                output.storage.pointer)
        }
        return result(output, inputs: [packed]) { gradient in
            // The three blocks of every row are written: dq, dk, dv side by side.
            let packedGradient = Tensor.uninitialized(packed.shape)
            let target = packedGradient.storage.pointer
            withUnsafePointer(to: shape) { shapePointer in
                funnel_attention_backward(
                    shapePointer, base, base + width, base + 2 * width, weights.storage.pointer,
                    gradient.storage.pointer, target, target + width, target + 2 * width)
            }
            return [packedGradient]
        }
    }

    /// The kernels' description of one attention: sizes, scale, mask strides, dropout.
    private static func attentionShape(
        batch: Int, heads: Int, lengths: (query: Int, key: Int), widths: (head: Int, value: Int), valueGroups: Int,
        mask: Tensor?, closedBelow: Float, dropout: (keep: Float, key: UInt64)?
    ) -> funnel_attention_shape {
        let (queryLength, keyLength, headWidth, valueWidth) = (lengths.query, lengths.key, widths.head, widths.value)
        var shape = funnel_attention_shape()
        (shape.batch, shape.heads, shape.query_length, shape.key_length, shape.head_width) =
            (batch, heads, queryLength, keyLength, headWidth)
        (shape.value_width, shape.value_groups) = (valueWidth, valueGroups)
        shape.scale = 1 / Float(headWidth).squareRoot()
        shape.closed_below = closedBelow
        shape.dropout_threshold = 1 << 24
        shape.dropout_scale = 1
        if let dropout, dropout.keep < 1 {
            precondition(dropout.keep > 0, "Funnel: attention dropout keeps a probability in (0, 1], got \(dropout.keep)")
            precondition(batch * heads * queryLength * keyLength < 1 << 32, "Funnel: attention dropout over more than 2³² − 1 weights")
            shape.dropout_threshold = Self.dropoutThreshold(keep: dropout.keep)
            shape.dropout_scale = 1 / dropout.keep
            shape.dropout_key = dropout.key
        }
        if let mask {
            let target = [batch, heads, queryLength, keyLength]
            precondition(Broadcast.shape(mask.shape, target) == target, "Funnel: attention mask \(mask.shape) does not broadcast to \(target)")
            let strides = Broadcast.strides(of: mask.shape, in: target)
            shape.mask_strides = (strides[0], strides[1], strides[2], strides[3])
        }
        return shape
    }
}
