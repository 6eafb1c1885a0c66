import FunnelTensor

extension CausalSelfAttention {
    /// Incremental decoding of self-attention (inference: no gradients, no dropout): projects
    /// the new positions' keys and values, appends them to `cache`, and attends from the new
    /// positions to every cached one and to the new ones up to themselves, as
    /// ``FocusedAttention/callAsFunction(_:cache:)`` does.
    ///
    /// - Parameters:
    ///   - input: the new positions `[batch, new, dimensions]`.
    ///   - cache: this layer's cache (`[batch, length, dimensions]` keys and values).
    /// - Returns: `[batch, new, dimensions]`.
    public func callAsFunction(_ input: Tensor, cache: inout KeyValueCache) -> Tensor {
        withoutGradients {
            let mask = KeyValueCache.causalMask(new: input.shape[1], cached: cache.length)
            cache.append(keys: keyProjection(input), values: valueProjection(input))
            let attended = Tensor.attention(
                queries: queryProjection(input), keys: cache.keys!, values: cache.values!,
                heads: heads, mask: mask,
                closedBelow: MultiHeadAttention.blocked / 2)
            return outputProjection.map { $0(attended) } ?? attended
        }
    }
}
