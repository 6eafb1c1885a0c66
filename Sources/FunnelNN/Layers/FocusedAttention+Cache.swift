import FunnelTensor

extension FocusedAttention {
    /// Incremental decoding (inference: no gradients, no dropout): projects the new positions'
    /// keys and values, appends them to `cache`, and attends from the new positions to every
    /// cached one and to the new ones up to themselves. Feeding a sequence one position (or
    /// one block) at a time gives the causal forward pass's outputs.
    ///
    /// - Parameters:
    ///   - input: the new positions `[batch, new, dimensions]`.
    ///   - cache: this layer's cache (`[batch, length, 2·heads·headWidth]` keys and values).
    /// - Returns: `[batch, new, dimensions]`.
    public func callAsFunction(_ input: Tensor, cache: inout KeyValueCache) -> Tensor {
        withoutGradients {
            let mask = KeyValueCache.causalMask(new: input.shape[1], cached: cache.length)
            cache.append(keys: keyProjection(input), values: valueProjection(input))
            return attend(input, keys: cache.keys!, values: cache.values!, mask: mask, dropout: nil)
        }
    }
}
