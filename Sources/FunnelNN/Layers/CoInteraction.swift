import FunnelTensor

/// RAR's set-to-set co-interaction module (Huang et al., "Recall-Augmented Ranking", WWW 2024,
/// arXiv 2404.09578; adaptation.md §1.2.2, equations [ASSUMED] by the spec): one round of
/// cross-attention each way between the look-alike users `L` and the recall items `R`, then a
/// target-aware pooling of each set:
/// ```
/// L' = LN_L(L + softmax(L Rᵀ / √d) R)        R' = LN_R(R + softmax(R Lᵀ / √d) L)
/// u_L = Σ_j softmax_j(L'_j · e_i / √d) L'_j   u_R = Σ_j softmax_j(R'_j · e_i / √d) R'_j
/// u_aug = [u_L; u_R]
/// ```
/// The output does not depend on the order of the rows of `L` nor of those of `R`: each
/// cross-attention is equivariant in its own set and sums over the other, and the pooling sums.
///
/// Shapes: look-alikes `L` `[n, k_u, d]`, recalls `R` `[n, k_r, d]`, target `e_i` `[n, d]` →
/// `u_aug` `[n, 2d]`.
public final class CoInteraction: Module {
    /// `LN_L` and `LN_R`, one per set (gain 1, offset 0 at initialisation).
    public let lookAlikeNorm: LayerNorm
    public let recallNorm: LayerNorm
    /// `d`.
    public let dimensions: Int

    public init(dimensions: Int) {
        precondition(dimensions > 0, "Funnel: co-interaction of width \(dimensions)")
        lookAlikeNorm = LayerNorm(dimensions: dimensions)
        recallNorm = LayerNorm(dimensions: dimensions)
        self.dimensions = dimensions
        super.init()
    }

    /// `LN(queries + softmax(queries · keysᵀ / √d) · keys)`: `[n, q, d]`, `[n, k, d]` → `[n, q, d]`.
    func crossAttended(_ queries: Tensor, by keys: Tensor, norm: LayerNorm) -> Tensor {
        let scale = 1 / Float(dimensions).squareRoot()
        let weights = (Tensor.matmul(queries, keys, transposeRight: true) * scale).softmax(alongAxis: -1)
        return norm(queries + Tensor.matmul(weights, keys))
    }

    /// `L'` `[n, k_u, d]` and `R'` `[n, k_r, d]`: the two sets after one cross-attention round.
    public func interacted(lookAlikes: Tensor, recalls: Tensor) -> (lookAlikes: Tensor, recalls: Tensor) {
        checkShapes(lookAlikes: lookAlikes, recalls: recalls, target: nil)
        return (
            crossAttended(lookAlikes, by: recalls, norm: lookAlikeNorm),
            crossAttended(recalls, by: lookAlikes, norm: recallNorm)
        )
    }

    /// `Σ_j softmax_j(S_j · e / √d) S_j`: set `[n, k, d]`, target `[n, d]` → `[n, d]`.
    public func pooled(_ set: Tensor, target: Tensor) -> Tensor {
        let (rows, count) = (set.shape[0], set.shape[1])
        let scale = 1 / Float(dimensions).squareRoot()
        let scores = Tensor.matmul(set, target.reshaped([rows, dimensions, 1])) * scale
        let weights = scores.reshaped([rows, 1, count]).softmax(alongAxis: -1)
        return Tensor.matmul(weights, set).reshaped([rows, dimensions])
    }

    /// `u_aug = [u_L; u_R]` (see the type's documentation for shapes).
    public func callAsFunction(lookAlikes: Tensor, recalls: Tensor, target: Tensor) -> Tensor {
        checkShapes(lookAlikes: lookAlikes, recalls: recalls, target: target)
        let (lookAlikes, recalls) = interacted(lookAlikes: lookAlikes, recalls: recalls)
        return Tensor.concatenated([pooled(lookAlikes, target: target), pooled(recalls, target: target)], alongAxis: 1)
    }

    private func checkShapes(lookAlikes: Tensor, recalls: Tensor, target: Tensor?) {
        precondition(
            lookAlikes.rank == 3 && recalls.rank == 3 && lookAlikes.shape[0] == recalls.shape[0]
                && lookAlikes.shape[2] == dimensions && recalls.shape[2] == dimensions
                && lookAlikes.shape[1] > 0 && recalls.shape[1] > 0
                && (target == nil || target!.shape == [lookAlikes.shape[0], dimensions]),
            "Funnel: co-interaction of look-alikes \(lookAlikes.shape), recalls \(recalls.shape), target \(target?.shape ?? []), d = \(dimensions)")
    }
}
