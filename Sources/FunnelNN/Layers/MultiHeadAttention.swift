import FunnelTensor

/// Scaled dot-product attention with several heads (Vaswani et al., "Attention Is All You
/// Need", arXiv 1706.03762), with optional additive masks.
///
/// Shapes: queries `[batch, queryLength, queryInputDimensions]`, keys
/// `[batch, keyLength, keyInputDimensions]`, values `[batch, keyLength, valueInputDimensions]`,
/// mask broadcastable to `[batch, heads, queryLength, keyLength]` (0 where attention is allowed,
/// a large negative value where not) → `[batch, queryLength, outputDimensions]`.
///
/// A query whose keys the mask blocks in every position attends to nothing: its attention
/// weights are 0 in that head (so its keys and values receive no gradient from it), and a query
/// blocked in every head outputs exactly 0 (the output projection's bias included).
public final class MultiHeadAttention: Module {
    public let queryProjection: Linear
    public let keyProjection: Linear
    public let valueProjection: Linear
    public let outputProjection: Linear
    public let numHeads: Int

    /// The additive value that blocks a position (finite, so that a fully blocked row never
    /// gives NaN; its weights are then set to 0). A mask value at or below `blocked / 2` counts
    /// as blocked.
    public static let blocked: Float = -1e9

    public init(
        dimensions: Int, numHeads: Int, queryInputDimensions: Int? = nil, keyInputDimensions: Int? = nil,
        valueInputDimensions: Int? = nil, outputDimensions: Int? = nil, bias: Bool = true,
        generator: inout RandomGenerator
    ) {
        precondition(dimensions % numHeads == 0, "Funnel: \(dimensions) dimensions do not split into \(numHeads) heads")
        queryProjection = Linear(queryInputDimensions ?? dimensions, dimensions, bias: bias, generator: &generator)
        keyProjection = Linear(keyInputDimensions ?? dimensions, dimensions, bias: bias, generator: &generator)
        valueProjection = Linear(valueInputDimensions ?? dimensions, dimensions, bias: bias, generator: &generator)
        outputProjection = Linear(dimensions, outputDimensions ?? dimensions, bias: bias, generator: &generator)
        self.numHeads = numHeads
        super.init()
    }

    public func callAsFunction(queries: Tensor, keys: Tensor, values: Tensor, mask: Tensor? = nil) -> Tensor {
        let batch = queries.shape[0]
        let queryLength = queries.shape[1]
        // One fused primitive per head: no head transposes, one pass for the three gradients.
        let attended = Tensor.attention(
            queries: queryProjection(queries), keys: keyProjection(keys), values: valueProjection(values),
            heads: numHeads, mask: mask, closedBelow: Self.blocked / 2)
        let output = outputProjection(attended)
        guard outputProjection.bias != nil, let mask,
            let open = Self.openQueries(mask, shape: [batch, numHeads, queryLength, 1])
        else { return output }
        return output * open.max(alongAxes: [1]).reshaped([batch, queryLength, 1])
    }

    /// `shape` (`[batch, heads, queryLength, 1]`): 1 where the mask leaves a query some key, 0
    /// where it blocks them all; `nil` when no query is fully blocked.
    static func openQueries(_ mask: Tensor, shape: [Int]) -> Tensor? {
        guard mask.rank > 0 else { return nil }
        return withoutGradients {
            let open = (mask.detached() .> Tensor(blocked / 2)).max(alongAxes: [mask.rank - 1], keepingDimensions: true)
            return open.scalars.contains(0) ? open.broadcasted(to: shape) : nil
        }
    }

    /// `[length, length]`: 0 on and below the diagonal, ``blocked`` above (position i attends
    /// to positions ≤ i).
    public static func causalMask(length: Int) -> Tensor {
        var values = [Float](repeating: 0, count: length * length)
        for row in 0..<length {
            for column in (row + 1)..<Swift.max(row + 1, length) { values[row * length + column] = blocked }
        }
        return Tensor(shape: [length, length], scalars: values)
    }

    /// `[batch, 1, 1, keyLength]` from a `[batch, keyLength]` 0/1 mask of valid keys.
    public static func keyPaddingMask(_ valid: Tensor) -> Tensor {
        ((valid - 1) * -blocked).reshaped([valid.shape[0], 1, 1, valid.shape[1]])
    }
}
