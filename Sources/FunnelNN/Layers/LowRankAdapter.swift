import FunnelTensor

/// A frozen affine map with a trainable low-rank update: LoRA (Hu et al., "LoRA: Low-Rank
/// Adaptation of Large Language Models", ICLR 2022), as ECPO fine-tunes its policy
/// (conversational.md §3: LoRA on every linear layer of the language model).
///
/// `y = x·Wᵀ + b + (α / r) · (x·Aᵀ)·Bᵀ`.
///
/// Shapes: input `[..., in]`, output `[..., out]`; the frozen `weight` `[out, in]` and `bias`
/// `[out]` are constants (no gradient, not saved with the parameters); `down` = A `[r, in]` is
/// drawn uniform in ±1/√in (PEFT's Kaiming-uniform with a = √5), `up` = B `[out, r]` starts at
/// zero, so a fresh adapter computes the frozen layer exactly. Only A and B are parameters:
/// `Module.saveParameters(to:)` writes just the adapter (`down`, `up` under the layer's path) as
/// safetensors, and `loadParameters(from:)` reads it back onto the same frozen weights.
public final class LowRankAdapter: Module {
    public let weight: Tensor
    public let bias: Tensor?
    /// A, `[rank, in]`.
    public let down: Tensor
    /// B, `[out, rank]`.
    public let up: Tensor
    /// `α / r`.
    public let scale: Float

    /// - Parameters:
    ///   - weight: the frozen `[out, in]` weight (copied as a constant).
    ///   - bias: the frozen `[out]` bias, if any.
    ///   - rank: `r` ≥ 1 ([ASSUMED] 8, LLaMA-Factory's default).
    ///   - alpha: `α` > 0 ([ASSUMED] 2r = 16, LLaMA-Factory's default).
    public init(weight: Tensor, bias: Tensor? = nil, rank: Int = 8, alpha: Float = 16, generator: inout RandomGenerator) {
        precondition(weight.rank == 2, "Funnel: LoRA adapts a [out, in] weight, got \(weight.shape)")
        precondition(rank >= 1 && alpha > 0, "Funnel: LoRA needs rank >= 1 and alpha > 0, got \(rank), \(alpha)")
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        precondition(bias.map { $0.shape == [outputs] } ?? true, "Funnel: a LoRA bias must be [\(outputs)]")
        self.weight = weight.detached()
        self.bias = bias?.detached()
        down = Initializer.fanInUniform.make([rank, inputs], fanIn: inputs, fanOut: rank, using: &generator)
        up = Initializer.constant(0).make([outputs, rank], fanIn: rank, fanOut: outputs, using: &generator)
        scale = alpha / Float(rank)
        super.init()
    }

    /// An adapter over a ``Linear`` layer's current weights.
    public convenience init(adapting layer: Linear, rank: Int = 8, alpha: Float = 16, generator: inout RandomGenerator) {
        self.init(weight: layer.weight, bias: layer.bias, rank: rank, alpha: alpha, generator: &generator)
    }

    public var rank: Int { down.shape[0] }
    public var inputDimensions: Int { weight.shape[1] }
    public var outputDimensions: Int { weight.shape[0] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let rows = input.reshaped([-1, inputDimensions])
        var output = Tensor.matmul(rows, weight, transposeRight: true)
        if let bias { output = output + bias }
        let update = Tensor.matmul(Tensor.matmul(rows, down, transposeRight: true), up, transposeRight: true)
        output = output + update * scale
        return output.reshaped(Array(input.shape.dropLast()) + [outputDimensions])
    }

    /// `W + (α / r) · B·A`, `[out, in]`: the adapted weight for serving without the extra GEMMs.
    public func mergedWeight() -> Tensor {
        withoutGradients { weight + Tensor.matmul(up, down) * scale }
    }
}
