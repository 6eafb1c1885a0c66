import FunnelNN
import FunnelTensor

/// The first-order (linear) term of the CTR backbones: a bias, one weight per id of every
/// categorical field and one per dense column — torchfm's `FeaturesLinear`, which FM, DeepFM
/// and AutoInt all add to their logit (watchtime.md §0.3), with the dense columns the papers'
/// datasets lack.
///
/// `logit = b + Σ_f w[f, id_f] + Σ_d v_d·x_d`. Every weight starts at 0 (torchfm draws the
/// per-id weights from N(0, 1); at 0 the untrained term adds nothing to the interactions).
///
/// Shapes: ids `[n × fields]` row-major and dense `[n, denseColumns]` → `[n]`.
public final class FirstOrderTerm: Module {
    /// One weight per id, `[Σ vocabulary sizes, 1]` in one table (row-sparse gradients);
    /// `nil` without categorical fields.
    public let weights: FieldEmbedding?
    /// `[1, denseColumns]`, no bias; `nil` without dense columns.
    public let denseWeights: Linear?
    /// `[1]`.
    public let bias: Tensor

    /// - Parameters:
    ///   - vocabularySizes: the ids of field f lie in `0 ..< vocabularySizes[f]`.
    ///   - denseColumns: the number of dense columns.
    public init(vocabularySizes: [Int], denseColumns: Int, generator: inout RandomGenerator) {
        weights = vocabularySizes.isEmpty ? nil : FieldEmbedding(
            vocabularySizes: vocabularySizes, dimensions: 1, initializer: .constant(0), generator: &generator)
        denseWeights = denseColumns == 0 ? nil : Linear(
            denseColumns, 1, bias: false, initializer: .constant(0), generator: &generator)
        bias = Tensor([0], requiresGradient: true)
        super.init()
    }

    /// - Parameters:
    ///   - ids: `[rows × fields]` row-major (ignored without categorical fields).
    ///   - dense: `[rows, denseColumns]`, or `nil` without dense columns.
    /// - Returns: `[rows]`.
    public func callAsFunction(ids: [Int32], dense: Tensor?, rows: Int) -> Tensor {
        var logits = bias.broadcasted(to: [rows])
        if let weights {
            logits = logits + weights(ids).reshaped([rows, -1]).sum(alongAxes: [1])
        }
        if let denseWeights, let dense {
            logits = logits + denseWeights(dense).reshaped([rows])
        }
        return logits
    }
}
