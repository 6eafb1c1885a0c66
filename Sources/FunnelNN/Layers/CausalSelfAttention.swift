import FunnelTensor

/// Multi-head self-attention over a sequence with query, key and value projections (with bias),
/// an optional output projection, dropout on the attention weights, and two seams for position
/// encodings that act inside attention: a rotation of the projected queries and keys (RoTE,
/// sequential.md §2.3) and an attention that adds contextual position logits (CAPE, §3.1).
///
/// Original SASRec (sequential.md §1.1, kang205/SASRec `modules.py`) has no output projection
/// and attends from the layer-normalised sequence to the raw one, so queries and keys/values
/// are separate inputs.
///
/// Shapes: queries and keys `[batch, length, dimensions]`, mask broadcastable to
/// `[batch, heads, length, length]` (additive: 0 allowed, ``MultiHeadAttention/blocked`` not)
/// → `[batch, length, dimensions]`. A query blocked from every key outputs 0 before the output
/// projection.
public final class CausalSelfAttention: Module, RandomLayer {
    public let queryProjection: Linear
    public let keyProjection: Linear
    public let valueProjection: Linear
    public let outputProjection: Linear?
    public let heads: Int
    /// The probability of dropping an attention weight while training.
    public let weightDropout: Float
    /// The layer's own seed, mixed into every step's generator (``RandomLayer``).
    public let seed: UInt64
    private var generator: RandomGenerator

    public init(
        dimensions: Int, heads: Int, outputProjection: Bool, weightDropout: Float, initializer: Initializer,
        generator: inout RandomGenerator
    ) {
        precondition(dimensions % heads == 0, "Funnel: \(dimensions) dimensions do not split into \(heads) heads")
        precondition(weightDropout >= 0 && weightDropout < 1, "Funnel: attention dropout \(weightDropout) outside [0, 1)")
        queryProjection = Linear(dimensions, dimensions, initializer: initializer, generator: &generator)
        keyProjection = Linear(dimensions, dimensions, initializer: initializer, generator: &generator)
        valueProjection = Linear(dimensions, dimensions, initializer: initializer, generator: &generator)
        self.outputProjection = outputProjection
            ? Linear(dimensions, dimensions, initializer: initializer, generator: &generator) : nil
        self.heads = heads
        self.weightDropout = weightDropout
        seed = generator.next()
        self.generator = RandomGenerator(seed: seed)
        super.init()
    }

    public func reseed(_ stepSeed: UInt64) {
        generator = RandomGenerator(seed: seed ^ stepSeed)
    }

    /// The attention weights' dropout (keep probability and mask key) for this call, `nil` in
    /// evaluation or without dropout.
    public func nextWeightDropout() -> (keep: Float, key: UInt64)? {
        guard isTraining, weightDropout > 0 else { return nil }
        return (1 - weightDropout, generator.next())
    }

    /// - Parameters:
    ///   - rotate: applied to the projected queries and keys (`[batch, length, dimensions]`),
    ///     e.g. RoTE's rotation; `nil`: none.
    ///   - attend: replaces the fused attention of the projected queries, keys and values (each
    ///     `[batch, length, dimensions]`) given the mask and this call's weight dropout, e.g.
    ///     CAPE's attention; `nil`: ``FunnelTensor/Tensor/attention(queries:keys:values:heads:valueGroups:mask:closedBelow:dropout:)``.
    ///   - residual: added to the output (`[batch, length, dimensions]`), by the output
    ///     projection's GEMM where there is one (a block's residual connection).
    public func callAsFunction(
        queries: Tensor, keys: Tensor, mask: Tensor?, rotate: ((Tensor) -> Tensor)? = nil,
        attend: ((Tensor, Tensor, Tensor, Tensor?, (keep: Float, key: UInt64)?) -> Tensor)? = nil,
        adding residual: Tensor? = nil
    ) -> Tensor {
        func projected(_ attended: Tensor) -> Tensor {
            switch (outputProjection, residual) {
            case (let projection?, let residual?): return projection(attended, adding: residual)
            case (let projection?, nil): return projection(attended)
            case (nil, let residual?): return residual + attended
            case (nil, nil): return attended
            }
        }
        if queries === keys, rotate == nil, attend == nil, let packed = packedProjection(queries) {
            return projected(Tensor.attention(
                packed: packed, heads: heads, mask: mask, closedBelow: MultiHeadAttention.blocked / 2,
                dropout: nextWeightDropout()))
        }
        var projectedQueries = queryProjection(queries)
        var projectedKeys = keyProjection(keys)
        if let rotate {
            projectedQueries = rotate(projectedQueries)
            projectedKeys = rotate(projectedKeys)
        }
        let values = valueProjection(keys)
        let dropout = nextWeightDropout()
        let attended: Tensor
        if let attend {
            attended = attend(projectedQueries, projectedKeys, values, mask, dropout)
        } else {
            attended = Tensor.attention(
                queries: projectedQueries, keys: projectedKeys, values: values, heads: heads, mask: mask,
                closedBelow: MultiHeadAttention.blocked / 2, dropout: dropout)
        }
        return projected(attended)
    }

    /// Self-attention's three projections as one affine map, `[q | k | v]` side by side (one
    /// GEMM, one input gradient), the weights and biases joined for the step so that each
    /// projection keeps its own parameters; `nil` where a projection records its input or has
    /// no bias.
    ///
    /// Shapes: input `[B, L, d]` → `[B, L, 3·d]`.
    private func packedProjection(_ input: Tensor) -> Tensor? {
        let projections = [queryProjection, keyProjection, valueProjection]
        guard input.rank == 3, projections.allSatisfy({ $0.inputRecording == nil }) else { return nil }
        let biases = projections.compactMap(\.bias)
        guard biases.count == 3 else { return nil }
        let weight = Tensor.concatenated(projections.map(\.weight), alongAxis: 0)
        let bias = Tensor.concatenated(biases, alongAxis: 0)
        let (batch, length, width) = (input.shape[0], input.shape[1], input.shape[2])
        return Tensor.linear(input.reshaped([-1, width]), weight: weight, bias: bias).reshaped([batch, length, 3 * width])
    }
}
