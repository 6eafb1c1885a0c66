import FunnelTensor

/// The fused multi-level rotation of one window (RoTE; sequential.md §2.2), computed once per
/// forward pass by ``RotaryTimeEmbedding/rotation(times:batch:length:)`` and shared by every
/// layer that rotates queries and keys.
///
/// The weighted sum of the level rotations is itself a per-pair linear map:
/// `Σ_l w_l R_l(t) x = C(t) ⊙ x + S(t) ⊙ swap(x)` with `C = Σ_l w_l cos φ_l`,
/// `S = Σ_l w_l sin φ_l` (one value per interleaved pair `j`, repeated on both of its members)
/// and `swap(x)_(2j, 2j+1) = (−x_{2j+1}, x_{2j})`.
public struct RotaryRotation {
    /// `C`: `[batch, length, 1, headWidth]`, each pair's cosine sum on both of its members.
    public let cosineSums: Tensor
    /// `S`: `[batch, length, 1, headWidth]`, each pair's sine sum on both of its members.
    public let sineSums: Tensor
    /// `J`, `[headWidth, headWidth]`: `(x·J)_{2j} = −x_{2j+1}`, `(x·J)_{2j+1} = x_{2j}`.
    let exchange: Tensor

    /// - Parameters:
    ///   - cosineSums, sineSums: `C` and `S` per position and pair, `[batch · length · headWidth / 2]`
    ///     row-major.
    ///   - batch, length, headWidth: the window's shape and the (even) head width.
    init(cosineSums: [Float], sineSums: [Float], batch: Int, length: Int, headWidth: Int) {
        let pairs = headWidth / 2
        precondition(
            cosineSums.count == batch * length * pairs && sineSums.count == cosineSums.count)
        var cosines = [Float](repeating: 0, count: batch * length * headWidth)
        var sines = cosines
        for index in 0..<(batch * length * pairs) {
            let (first, second) = (2 * index, 2 * index + 1)
            (cosines[first], cosines[second]) = (cosineSums[index], cosineSums[index])
            (sines[first], sines[second]) = (sineSums[index], sineSums[index])
        }
        let shape = [batch, length, 1, headWidth]
        self.cosineSums = Tensor(shape: shape, scalars: cosines)
        self.sineSums = Tensor(shape: shape, scalars: sines)
        var exchange = [Float](repeating: 0, count: headWidth * headWidth)
        for pair in 0..<pairs {
            exchange[(2 * pair + 1) * headWidth + 2 * pair] = -1
            exchange[2 * pair * headWidth + 2 * pair + 1] = 1
        }
        self.exchange = Tensor(shape: [headWidth, headWidth], scalars: exchange)
    }

    /// The head width `d_h`.
    public var headWidth: Int { cosineSums.shape[3] }

    /// Rotates queries or keys: `Σ_l w_l R_l(t) x` in every head (values are not rotated).
    ///
    /// Differentiable with respect to `x`: the map is linear, its gradient is the transposed
    /// map (`swapᵀ = −swap`), which the slices and the concatenation below carry exactly.
    /// - Parameters:
    ///   - x: `[batch, length, heads · headWidth]`, the heads side by side as a projection writes
    ///     them.
    ///   - heads: how many heads split the last axis.
    /// - Returns: `[batch, length, heads · headWidth]`.
    public func apply(_ x: Tensor, heads: Int) -> Tensor {
        let (batch, length) = (cosineSums.shape[0], cosineSums.shape[1])
        precondition(
            x.shape == [batch, length, heads * headWidth],
            "Funnel: rotary rotation of \(x.shape) with \(heads) heads of width \(headWidth) over a window of \(batch) × \(length)"
        )
        let perHead = x.reshaped([batch, length, heads, headWidth])
        // swap(x) = x·J, J the constant pair exchange with the sign folded in: one small GEMM
        // (its backward another) instead of slicing and concatenating the pairs.
        let exchanged = Tensor.matmul(x.reshaped([-1, headWidth]), exchange).reshaped(perHead.shape)
        return (perHead * cosineSums + exchanged * sineSums).reshaped(x.shape)
    }
}
